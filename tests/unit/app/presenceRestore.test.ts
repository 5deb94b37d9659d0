import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore, STORE_FILE, type Core } from '../../../native/app/core.js';
import { liveCores, PRESENCE_DIR } from '../../../native/app/presence.js';
import { main } from '../../../native/cli/main.js';
import type * as BackupModule from '../../../native/store/backup.js';
import type { RestoreOptions } from '../../../native/store/backup.js';
import { tempDir } from '../helpers.js';

/** Run while the restore copies (after its own checks passed): a core opening the folder meanwhile. */
let duringCopy: (() => void) | null = null;
/** Run after the restore's last check, right before the folder is swapped. */
let atSwap: (() => void) | null = null;

vi.mock('../../../native/store/backup.js', async (importOriginal) => {
  const original = await importOriginal<typeof BackupModule>();
  return {
    ...original,
    restoreDataFolder: (src: string, home: string, options: RestoreOptions = {}) =>
      original.restoreDataFolder(src, home, {
        ...options,
        onCopy: () => {
          options.onCopy?.();
          duringCopy?.();
        },
        beforeSwap: () => {
          options.beforeSwap?.();
          atSwap?.();
        },
      }),
  };
});

const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;

describe('osler restore and a core that opens the data folder while it copies', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  const cores: Core[] = [];
  afterEach(async () => {
    duringCopy = null;
    atSwap = null;
    Object.defineProperty(process, 'platform', platform);
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    tmps.splice(0).forEach((t) => t.cleanup());
  });

  it('checks again just before the swap and refuses, leaving the data folder in place', async () => {
    const t = tempDir('osler-presence-restore-');
    tmps.push(t);
    const source = join(t.path, 'source');
    const home = join(t.path, 'home');
    const open = (h: string): Core => createCore({ home: h, mode: 'cli', log: () => undefined, bundledModels: null });
    await open(source).close();
    await open(home).close();
    const io = { out: () => undefined, err: (m: string) => err.push(m) };
    const err: string[] = [];
    expect(await main(['backup', join(t.path, 'backup'), '--home', source], io)).toBe(0);
    duringCopy = () => cores.push(open(home));
    expect(await main(['restore', join(t.path, 'backup'), '--force', '--home', home], io)).toBe(1);
    expect(cores).toHaveLength(1);
    expect(err.join('\n')).toContain(`${home} is open in pid ${process.pid} (cli`);
    // Nothing swapped, and the staged copy is gone.
    expect(existsSync(join(home, STORE_FILE))).toBe(true);
    expect(readdirSync(t.path).sort()).toEqual(['backup', 'home', 'source']);
  });

  /** A backup of a fresh data folder, and a data folder `home` (missing) to restore it into. */
  async function setUp(): Promise<{ backup: string; home: string; root: string }> {
    const t = tempDir('osler-presence-restore-');
    tmps.push(t);
    const source = join(t.path, 'source');
    await createCore({ home: source, mode: 'cli', log: () => undefined, bundledModels: null }).close();
    const backup = join(t.path, 'backup');
    expect(await main(['backup', backup, '--home', source], { out: () => undefined, err: () => undefined })).toBe(0);
    return { backup, home: join(t.path, 'home'), root: t.path };
  }

  it('holds its presence through the swap (outside Windows), and leaves none behind in either folder', async () => {
    const { backup, home, root } = await setUp();
    await createCore({ home, mode: 'cli', log: () => undefined, bundledModels: null }).close();
    let seen: ReturnType<typeof liveCores> = [];
    atSwap = () => (seen = liveCores(home));
    const io = { out: () => undefined, err: () => undefined };
    expect(await main(['restore', backup, '--force', '--home', home], io)).toBe(0);
    expect(seen).toEqual([
      expect.objectContaining({ state: 'live', info: expect.objectContaining({ mode: 'restore' }) }),
    ]);
    expect(liveCores(home)).toEqual([]);
    const previous = readdirSync(root).find((n) => n.startsWith('home.before-restore-'))!;
    expect(readdirSync(join(root, previous, PRESENCE_DIR)).filter((n) => n !== 'start.lock')).toEqual([]);
  });

  for (const os of ['linux', 'win32'])
    it(`reports a presence it cannot remove (${os}) and still finishes the restore`, async () => {
      const { backup, home } = await setUp();
      Object.defineProperty(process, 'platform', { ...platform, value: os });
      mkdirSync(home);
      duringCopy = () => {
        // The restore's sidecar made unremovable: a folder in its place.
        const dir = join(home, PRESENCE_DIR);
        const sidecar = readdirSync(dir).find((n) => n.endsWith('.json'))!;
        rmSync(join(dir, sidecar));
        mkdirSync(join(dir, sidecar, 'x'), { recursive: true });
      };
      const err: string[] = [];
      expect(await main(['restore', backup, '--home', home], { out: () => undefined, err: (m) => err.push(m) })).toBe(
        0,
      );
      expect(err.join('\n')).toMatch(/osler: restore presence .+\.lock not removed \(the next check removes it\)/);
      expect(existsSync(join(home, STORE_FILE))).toBe(true);
    });
});
