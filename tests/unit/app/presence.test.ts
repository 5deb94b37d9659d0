import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, STORE_FILE, type Core } from '../../../native/app/core.js';
import { announcePresence, liveCores, PRESENCE_DIR } from '../../../native/app/presence.js';
import { main } from '../../../native/cli/main.js';
import { restoreDataFolder } from '../../../native/store/backup.js';
import { openStore } from '../../../native/store/database.js';
import { getTrainingRun, startTrainingRun } from '../../../native/store/models.js';
import { tempDir } from '../helpers.js';

/** Named here, not imported, so these tests also run (and fail) against the pid-based presence they replaced. */
const START_LOCK_FILE = 'start.lock';
const ROOT = resolve(import.meta.dirname, '..', '..', '..');

/** A training run left 'running' and a model folder no registry row points at, as live work (or a crash) leaves them. */
function seedInFlightWork(home: string): { runId: number; folder: string } {
  mkdirSync(home, { recursive: true });
  const store = openStore(join(home, STORE_FILE));
  const runId = startTrainingRun(
    store.db,
    { name: 'ghost', task: 'text', family: 'text-bilstm', params: {} },
    'test',
  ).id;
  store.close();
  const folder = join(home, 'models', 'ghost', '1');
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'weights.bin'), Buffer.from([1, 2, 3]));
  return { runId, folder };
}

function runStatus(home: string, runId: number): string {
  const store = openStore(join(home, STORE_FILE));
  try {
    return getTrainingRun(store.db, runId).status;
  } finally {
    store.close();
  }
}

function open(home: string, lines: string[]): Core {
  return createCore({ home, mode: 'cli', log: (m) => lines.push(m), bundledModels: null });
}

function presenceNames(home: string): string[] {
  return readdirSync(join(home, PRESENCE_DIR))
    .filter((n) => n !== START_LOCK_FILE)
    .sort();
}

/**
 * Runs `code` (an ES module body; `ROOT` is the repository) in a child Node process that prints
 * `up` once its setup ran, then waits for its stdin to close. Resolves once it printed `up`.
 */
function child(code: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ROOT },
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise, reject) => {
    proc.once('error', reject);
    proc.once('exit', (c) => reject(new Error(`child exited with ${c}: ${stderr}`)));
    proc.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('up')) resolvePromise(proc);
    });
  });
}

/** A child process with a core open on `home` until its stdin closes (then it closes the core). */
function childCore(home: string): Promise<ChildProcess> {
  return child(`
    const { createCore } = await import(process.env.ROOT + '/native/app/core.ts');
    const core = createCore({ home: ${JSON.stringify(home)}, mode: 'cli', log: () => {}, bundledModels: null });
    process.stdout.write('up\\n');
    process.stdin.resume();
    process.stdin.on('end', async () => { await core.close(); process.exit(0); });
  `);
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

describe('start-up recovery with other cores on the data folder', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  const cores: Core[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    for (const c of children.splice(0)) await kill(c);
    tmps.splice(0).forEach((t) => t.cleanup());
  });
  const home = (): string => {
    const t = tempDir('osler-presence-');
    tmps.push(t);
    return join(t.path, 'home');
  };

  it('leaves the work of a core open in another process alone, and recovers once that process is killed', async () => {
    const h = home();
    const other = await childCore(h);
    children.push(other);
    // Work in flight in the other core.
    const { runId, folder } = seedInFlightWork(h);
    const lines: string[] = [];
    const core = open(h, lines);
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    const deferred = lines.filter((l) => l.includes('crash recovery deferred'));
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toContain(`pid ${other.pid} (cli`);
    expect(deferred[0]).toMatch(new RegExp(`presence ${join(h, PRESENCE_DIR, `${other.pid}-`)}[0-9a-f]+\\.lock`));
    await core.close();
    // Killed: no cleanup ran, its presence files stay, but the OS dropped its lock.
    await kill(other);
    expect(presenceNames(h)).toHaveLength(2);
    const after: string[] = [];
    cores.push(open(h, after));
    expect(runStatus(h, runId)).toBe('failed');
    expect(existsSync(folder)).toBe(false);
    expect(after.some((l) => l.includes('recovered from an interrupted run'))).toBe(true);
    expect(presenceNames(h)).toHaveLength(2); // the new core's own lock and sidecar
  });

  it('takes a presence whose pid is alive again (reused) but whose lock nobody holds for dead, and recovers', async () => {
    const h = home();
    const { runId, folder } = seedInFlightWork(h);
    // A live process that is no Osler core: the pid a crashed core had, reused.
    const reuser = await child(`process.stdout.write('up\\n'); process.stdin.resume();`);
    children.push(reuser);
    const dir = join(h, PRESENCE_DIR);
    mkdirSync(dir, { recursive: true });
    const id = `${reuser.pid}-0123456789abcdef`;
    new Database(join(dir, `${id}.lock`)).close();
    writeFileSync(
      join(dir, `${id}.json`),
      JSON.stringify({ pid: reuser.pid, hostname: hostname(), startedAt: new Date().toISOString(), mode: 'electron' }),
    );
    const lines: string[] = [];
    cores.push(open(h, lines));
    expect(existsSync(join(dir, `${id}.lock`))).toBe(false);
    expect(existsSync(join(dir, `${id}.json`))).toBe(false);
    expect(runStatus(h, runId)).toBe('failed');
    expect(existsSync(folder)).toBe(false);
    expect(lines.some((l) => l.includes('deferred'))).toBe(false);
  });

  it('counts a presence that cannot be checked as live, and names it', async () => {
    const h = home();
    const { runId, folder } = seedInFlightWork(h);
    // Running as root, chmod 000 changes nothing: a folder where the lock file should be cannot be opened either.
    const odd = join(h, PRESENCE_DIR, '4242-unreadable.lock');
    mkdirSync(odd, { recursive: true });
    const lines: string[] = [];
    cores.push(open(h, lines));
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    expect(existsSync(odd)).toBe(true);
    expect(lines.join('\n')).toContain(`presence ${odd} could not be checked`);
  });

  it('defers between two cores of this process and recovers once both closed', async () => {
    const h = home();
    const first = open(h, []);
    cores.push(first);
    const { runId, folder } = seedInFlightWork(h);
    const lines: string[] = [];
    const second = open(h, lines);
    expect(lines.filter((l) => l.includes('crash recovery deferred'))).toEqual([
      expect.stringContaining(`pid ${process.pid} (cli`),
    ]);
    await second.close();
    const third = open(h, []);
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    await third.close();
    await first.close();
    expect(presenceNames(h)).toEqual([]);
    cores.push(open(h, []));
    expect(runStatus(h, runId)).toBe('failed');
    expect(existsSync(folder)).toBe(false);
  });

  it('waits for a start in progress (holding the start lock), logging the wait and when it gives up', async () => {
    const h = home();
    mkdirSync(join(h, PRESENCE_DIR), { recursive: true });
    const starter = await child(`
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(${JSON.stringify(join(h, PRESENCE_DIR, START_LOCK_FILE))});
      db.exec('BEGIN EXCLUSIVE');
      process.stdout.write('up\\n');
      process.stdin.resume();
    `);
    children.push(starter);
    const { runId } = seedInFlightWork(h);
    const lines: string[] = [];
    cores.push(open(h, lines));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`waiting up to 5 s for another Osler core starting on ${h}`),
        expect.stringContaining('gave up waiting for another Osler core starting'),
      ]),
    );
    // Alone on the folder, it recovers anyway.
    expect(runStatus(h, runId)).toBe('failed');
  });

  it('refuses to restore into a data folder a core in another process has open', async () => {
    const h = home();
    const other = await childCore(h);
    children.push(other);
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t) };
    const missing = join(h, '..', 'no-backup');
    expect(await main(['restore', missing, '--force', '--home', h], io)).toBe(1);
    expect(err.join('\n')).toContain(`is open in pid ${other.pid} (cli`);
    expect(err.join('\n')).toContain(`presence ${join(h, PRESENCE_DIR)}`);
    expect(existsSync(join(h, STORE_FILE))).toBe(true);
    await kill(other);
    // Gone, the restore goes on to check the backup (absent here).
    err.length = 0;
    expect(await main(['restore', missing, '--force', '--home', h], io)).toBe(1);
    expect(err.join('\n')).not.toContain('is open in');
  });

  it('restores into an empty folder while holding its own presence, leaving none behind', async () => {
    const h = home();
    const source = home();
    cores.push(open(source, []));
    const backup = join(source, '..', 'backup');
    const io = { out: () => undefined, err: () => undefined };
    expect(await main(['backup', backup, '--home', source], io)).toBe(0);
    mkdirSync(h, { recursive: true });
    expect(await main(['restore', backup, '--home', h], io)).toBe(0);
    expect(existsSync(join(h, STORE_FILE))).toBe(true);
    expect(liveCores(h)).toEqual([]);
    expect(readdirSync(join(h, '..')).filter((n) => n.includes('before-restore'))).toEqual([]);
  });

  it('restores into a folder holding only the presence folder around it, keeping a start lock a core holds', async () => {
    const h = home();
    const source = home();
    await open(source, []).close();
    const backup = join(source, '..', 'backup');
    expect(await main(['backup', backup, '--home', source], { out: () => undefined, err: () => undefined })).toBe(0);
    mkdirSync(join(h, PRESENCE_DIR), { recursive: true });
    const startLock = join(h, PRESENCE_DIR, START_LOCK_FILE);
    // A core starting meanwhile: it holds the start lock.
    const starting = new Database(startLock);
    try {
      starting.pragma('journal_mode = MEMORY');
      starting.exec('BEGIN EXCLUSIVE');
      restoreDataFolder(backup, h, { ignore: [PRESENCE_DIR] });
      expect(existsSync(startLock)).toBe(true);
      expect(existsSync(join(h, STORE_FILE))).toBe(true);
      expect(readdirSync(join(h, '..')).filter((n) => n.startsWith('.home.'))).toEqual([]);
    } finally {
      starting.close();
    }
  });

  it('leaves an unlocked lock file without its sidecar (a core creating it) for a minute, then removes it', () => {
    const h = home();
    const dir = join(h, PRESENCE_DIR);
    mkdirSync(dir, { recursive: true });
    const fresh = join(dir, '4242-fresh.lock');
    const old = join(dir, '4243-old.lock');
    new Database(fresh).close();
    new Database(old).close();
    const longAgo = new Date(Date.now() - 10 * 60_000);
    utimesSync(old, longAgo, longAgo);
    expect(liveCores(h)).toEqual([{ file: fresh, info: null, state: 'starting' }]);
    expect(existsSync(fresh)).toBe(true);
    expect(existsSync(old)).toBe(false);
  });

  it('removes its presence files when its process exits without closing the core', async () => {
    const h = home();
    const proc = await child(`
      const { createCore } = await import(process.env.ROOT + '/native/app/core.ts');
      createCore({ home: ${JSON.stringify(h)}, mode: 'cli', log: () => {}, bundledModels: null });
      process.stdout.write('up\\n');
      process.stdin.resume();
      process.stdin.on('end', () => process.exit(0));
    `);
    children.push(proc);
    expect(presenceNames(h)).toHaveLength(2);
    const exited = new Promise((r) => proc.once('exit', r));
    proc.stdin!.end();
    await exited;
    expect(presenceNames(h)).toEqual([]);
  });

  it('sees a dead core dead while another checker reads its lock at the same time', () => {
    const h = home();
    const dir = join(h, PRESENCE_DIR);
    mkdirSync(dir, { recursive: true });
    const id = '4244-0123456789abcdef';
    const lock = join(dir, `${id}.lock`);
    new Database(lock).close();
    writeFileSync(
      join(dir, `${id}.json`),
      JSON.stringify({ pid: 4244, hostname: hostname(), startedAt: new Date().toISOString(), mode: 'cli' }),
    );
    // The other checker, mid-check: a read transaction (a shared lock) open on the dead core's lock.
    const other = new Database(lock, { readonly: true });
    try {
      other.exec('BEGIN');
      other.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
      expect(liveCores(h)).toEqual([]);
      expect(existsSync(lock)).toBe(false);
    } finally {
      other.close();
    }
  });

  it('writes its sidecar, is live to others while held, and removes both files on release', () => {
    const h = home();
    const presence = announcePresence(h, 'browser');
    presence.started();
    expect(presence.others).toEqual([]);
    const sidecar = presence.file.replace(/\.lock$/, '.json');
    expect(JSON.parse(readFileSync(sidecar, 'utf8'))).toMatchObject({
      pid: process.pid,
      hostname: hostname(),
      mode: 'browser',
    });
    expect(liveCores(h)).toEqual([expect.objectContaining({ file: presence.file, state: 'live' })]);
    presence.release();
    presence.release();
    expect(presenceNames(h)).toEqual([]);
  });
});
