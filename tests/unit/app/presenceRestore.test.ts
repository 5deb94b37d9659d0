import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore, STORE_FILE, type Core } from '../../../native/app/core.js';
import { main } from '../../../native/cli/main.js';
import type * as BackupModule from '../../../native/store/backup.js';
import type { RestoreOptions } from '../../../native/store/backup.js';
import { tempDir } from '../helpers.js';

/** Run while the restore copies (after its own checks passed): a core opening the folder meanwhile. */
let duringCopy: (() => void) | null = null;

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
      }),
  };
});

describe('osler restore and a core that opens the data folder while it copies', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  const cores: Core[] = [];
  afterEach(async () => {
    duringCopy = null;
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
});
