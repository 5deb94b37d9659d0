import Database from 'better-sqlite3';
import type * as Fs from 'node:fs';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore, STORE_FILE, type Core } from '../../../native/app/core.js';
import { liveCores, PRESENCE_DIR, type OtherCore } from '../../../native/app/presence.js';
import type * as DatabaseModule from '../../../native/store/database.js';
import { openStore } from '../../../native/store/database.js';
import { tempDir } from '../helpers.js';

/** Run as the store opens (migrations included), before it returns. */
let whileOpening: (() => void) | null = null;

vi.mock('../../../native/store/database.js', async (importOriginal) => {
  const original = await importOriginal<typeof DatabaseModule>();
  return {
    ...original,
    openStore: (...args: Parameters<typeof original.openStore>) => {
      whileOpening?.();
      return original.openStore(...args);
    },
  };
});

/** Run before each rmSync (then the removal goes on), e.g. to open a core in the middle of a recovery. */
let beforeRemove: ((path: string) => void) | null = null;

vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof Fs>();
  const rmSync: typeof original.rmSync = (path, options) => {
    beforeRemove?.(String(path));
    original.rmSync(path, options);
  };
  return { ...original, default: { ...original, rmSync }, rmSync };
});

/** Announces a core as one whose start gave up waiting for the start lock does: lock held, sidecar written. */
function lateCore(home: string): Database.Database {
  const dir = join(home, PRESENCE_DIR);
  const db = new Database(join(dir, 'late.lock'));
  db.pragma('journal_mode = MEMORY');
  db.exec('BEGIN EXCLUSIVE');
  writeFileSync(
    join(dir, 'late.json'),
    JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), mode: 'cli' }),
  );
  return db;
}

describe('a starting core and its presence', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  const cores: Core[] = [];
  const handles: Database.Database[] = [];
  afterEach(async () => {
    whileOpening = null;
    beforeRemove = null;
    handles.splice(0).forEach((d) => d.close());
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    tmps.splice(0).forEach((t) => t.cleanup());
  });
  const home = (): string => {
    const t = tempDir('osler-presence-start-');
    tmps.push(t);
    return join(t.path, 'home');
  };

  it('is announced (live to others) while its store opens and migrates', () => {
    const h = home();
    let seen: OtherCore[] | null = null;
    whileOpening = () => (seen = liveCores(h));
    cores.push(createCore({ home: h, mode: 'cli', log: () => undefined, bundledModels: null }));
    expect(seen).toEqual([expect.objectContaining({ state: 'live', info: expect.objectContaining({ mode: 'cli' }) })]);
  });

  it('removes its presence when the store cannot be opened', () => {
    const h = home();
    whileOpening = () => {
      throw new Error('disk on fire');
    };
    expect(() => createCore({ home: h, mode: 'cli', log: () => undefined, bundledModels: null })).toThrow(
      'disk on fire',
    );
    const dir = join(h, PRESENCE_DIR);
    expect(existsSync(dir) ? readdirSync(dir).filter((n) => n !== 'start.lock') : []).toEqual([]);
    expect(liveCores(h)).toEqual([]);
  });

  it('stops removing unregistered model folders once another core announces itself mid-recovery', () => {
    const h = home();
    const folders = ['a', 'b', 'c'].map((m) => join(h, 'models', m, '1'));
    for (const f of folders) {
      mkdirSync(f, { recursive: true });
      writeFileSync(join(f, 'weights.bin'), Buffer.from([1]));
    }
    beforeRemove = (path) => {
      if (!path.startsWith(join(h, 'models'))) return;
      beforeRemove = null;
      handles.push(lateCore(h));
    };
    const lines: string[] = [];
    cores.push(createCore({ home: h, mode: 'cli', log: (m) => lines.push(m), bundledModels: null }));
    // The folder being removed when the core appeared goes; the later ones stay.
    expect(folders.filter((f) => existsSync(f))).toHaveLength(2);
    expect(lines.join('\n')).toContain(`crash recovery stopped part way: another Osler process opened ${h}`);
  });

  it('stops sweeping the files of crashed imports once another core announces itself mid-recovery', () => {
    const h = home();
    mkdirSync(h, { recursive: true });
    const rels = ['files/a.dcm', 'files/b.dcm', 'files/c.dcm'];
    mkdirSync(join(h, 'files'));
    const store = openStore(join(h, STORE_FILE));
    for (const rel of rels) {
      writeFileSync(join(h, rel), Buffer.from([1]));
      // A pid no process has: the import that wrote these crashed.
      store.db.prepare('INSERT INTO pending_files (path, pid) VALUES (?, ?)').run(rel, 2_147_483_000);
    }
    store.close();
    beforeRemove = (path) => {
      if (!path.startsWith(join(h, 'files'))) return;
      beforeRemove = null;
      handles.push(lateCore(h));
    };
    const lines: string[] = [];
    const core = createCore({ home: h, mode: 'cli', log: (m) => lines.push(m), bundledModels: null });
    cores.push(core);
    expect(rels.filter((r) => existsSync(join(h, r)))).toHaveLength(2);
    // The records of the files left are kept for a later start to sweep.
    expect(core.store.db.prepare('SELECT count(*) FROM pending_files').pluck().get()).toBe(2);
    expect(lines.join('\n')).toContain('crash recovery stopped part way');
  });
  it("sweeps a crashed import's files even when its pid now belongs to a running process (a core alone on the folder)", () => {
    const h = home();
    mkdirSync(join(h, 'files'), { recursive: true });
    const rel = 'files/orphan.dcm';
    writeFileSync(join(h, rel), Buffer.from([1]));
    const store = openStore(join(h, STORE_FILE));
    // The pid of a process that runs now (this test's parent): reused since the import crashed.
    store.db.prepare('INSERT INTO pending_files (path, pid) VALUES (?, ?)').run(rel, process.ppid);
    store.close();
    const core = createCore({ home: h, mode: 'cli', log: () => undefined, bundledModels: null });
    cores.push(core);
    expect(existsSync(join(h, rel))).toBe(false);
    expect(core.store.db.prepare('SELECT count(*) FROM pending_files').pluck().get()).toBe(0);
  });
});
