import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCore, STORE_FILE, type Core } from '../../../native/app/core.js';
import { announcePresence, liveCores, PRESENCE_DIR, type PresenceRecord } from '../../../native/app/presence.js';
import { main } from '../../../native/cli/main.js';
import { openStore } from '../../../native/store/database.js';
import { getTrainingRun, startTrainingRun } from '../../../native/store/models.js';
import { tempDir } from '../helpers.js';

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

/** Writes a presence file as another process would. */
function writePresence(home: string, name: string, record: PresenceRecord): string {
  mkdirSync(join(home, PRESENCE_DIR), { recursive: true });
  const file = join(home, PRESENCE_DIR, name);
  writeFileSync(file, JSON.stringify(record));
  return file;
}

function presenceFiles(home: string): string[] {
  return readdirSync(join(home, PRESENCE_DIR)).filter((n) => n.endsWith('.json'));
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid;
}

function liveChild(code = 'setTimeout(() => {}, 60000)'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  // Resolved once the child runs its code (it prints a line first), so its pid is a live process.
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () => resolve(child));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

describe('start-up recovery with other cores on the data folder', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  const cores: Core[] = [];
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    for (const c of children.splice(0)) await stop(c);
    tmps.splice(0).forEach((t) => t.cleanup());
  });
  const home = (): string => {
    const t = tempDir('osler-presence-');
    tmps.push(t);
    return join(t.path, 'home');
  };

  it("leaves a live core's training run and model folder alone, and says recovery was deferred", async () => {
    const h = home();
    const first = open(h, []);
    cores.push(first);
    // Work in flight in the first core.
    const { runId, folder } = seedInFlightWork(h);
    const lines: string[] = [];
    const second = open(h, lines);
    cores.push(second);
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    const deferred = lines.filter((l) => l.includes('crash recovery deferred'));
    expect(deferred).toHaveLength(1);
    expect(deferred[0]).toContain(`pid ${process.pid} (cli`);
    expect(presenceFiles(h)).toHaveLength(2);
  });

  it('recovers once the other core has closed, and not before', async () => {
    const h = home();
    const first = open(h, []);
    cores.push(first);
    const { runId, folder } = seedInFlightWork(h);
    const second = open(h, []);
    await second.close();
    // The second core's close leaves the first one's presence: a third start still defers.
    const third = open(h, []);
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    await third.close();
    await first.close();
    expect(presenceFiles(h)).toEqual([]);
    const lines: string[] = [];
    const last = open(h, lines);
    cores.push(last);
    expect(runStatus(h, runId)).toBe('failed');
    expect(existsSync(folder)).toBe(false);
    expect(lines.some((l) => l.includes('recovered from an interrupted run'))).toBe(true);
  });

  it('removes the presence file of a process that died and recovers', async () => {
    const h = home();
    const { runId, folder } = seedInFlightWork(h);
    const pid = deadPid();
    const stale = writePresence(h, `${pid}-dead.json`, {
      pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      mode: 'electron',
      phase: 'open',
    });
    const lines: string[] = [];
    cores.push(open(h, lines));
    expect(existsSync(stale)).toBe(false);
    expect(runStatus(h, runId)).toBe('failed');
    expect(existsSync(folder)).toBe(false);
    expect(lines.some((l) => l.includes('deferred'))).toBe(false);
  });

  it('defers recovery while another process that has the folder open is alive', async () => {
    const h = home();
    const { runId, folder } = seedInFlightWork(h);
    const child = await liveChild('console.log("up"); setTimeout(() => {}, 60000)');
    children.push(child);
    const other = writePresence(h, `${child.pid}-app.json`, {
      pid: child.pid!,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      mode: 'electron',
      phase: 'open',
    });
    const lines: string[] = [];
    const core = open(h, lines);
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(lines.filter((l) => l.includes('crash recovery deferred'))).toEqual([
      expect.stringContaining(`pid ${child.pid} (electron`),
    ]);
    await core.close();
    // Once that process is gone, the next start recovers.
    await stop(child);
    cores.push(open(h, []));
    expect(existsSync(other)).toBe(false);
    expect(runStatus(h, runId)).toBe('failed');
    expect(existsSync(folder)).toBe(false);
  });

  it("takes a file with this process's pid that no core here wrote for an earlier process's, and recovers", async () => {
    const h = home();
    const { runId } = seedInFlightWork(h);
    const leftover = writePresence(h, `${process.pid}-earlier.json`, {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      mode: 'browser',
      phase: 'open',
    });
    cores.push(open(h, []));
    expect(existsSync(leftover)).toBe(false);
    expect(runStatus(h, runId)).toBe('failed');
  });

  it('takes a file written before this host booted as stale even if its pid is running now', async () => {
    const h = home();
    const { runId } = seedInFlightWork(h);
    const child = await liveChild('console.log("up"); setTimeout(() => {}, 60000)');
    children.push(child);
    const old = writePresence(h, `${child.pid}-before-boot.json`, {
      pid: child.pid!,
      hostname: hostname(),
      startedAt: '2000-01-01T00:00:00.000Z',
      mode: 'electron',
      phase: 'open',
    });
    cores.push(open(h, []));
    expect(existsSync(old)).toBe(false);
    expect(runStatus(h, runId)).toBe('failed');
  });

  it('counts a core on another host (a shared data folder) as live', async () => {
    const h = home();
    const { runId, folder } = seedInFlightWork(h);
    const remote = writePresence(h, '4242-remote.json', {
      pid: 4242,
      hostname: `${hostname()}-elsewhere`,
      startedAt: new Date().toISOString(),
      mode: 'electron',
      phase: 'open',
    });
    const lines: string[] = [];
    cores.push(open(h, lines));
    expect(existsSync(remote)).toBe(true);
    expect(runStatus(h, runId)).toBe('running');
    expect(existsSync(folder)).toBe(true);
    expect(lines.join('\n')).toContain(`on host ${hostname()}-elsewhere`);
  });

  it('waits for a core that is still starting (maybe recovering) before doing any work', async () => {
    const h = home();
    mkdirSync(join(h, PRESENCE_DIR), { recursive: true });
    const file = join(h, PRESENCE_DIR, 'starting.json');
    // The child announces itself 'starting', then turns 'open' a moment later by an atomic rename.
    const child = await liveChild(`
      const fs = require('node:fs');
      const rec = (phase) => JSON.stringify({ pid: process.pid, hostname: require('node:os').hostname(), startedAt: new Date().toISOString(), mode: 'electron', phase });
      fs.writeFileSync(${JSON.stringify(file)}, rec('starting'));
      console.log('up');
      setTimeout(() => { fs.writeFileSync(${JSON.stringify(file)} + '.tmp', rec('open')); fs.renameSync(${JSON.stringify(file)} + '.tmp', ${JSON.stringify(file)}); }, 300);
      setTimeout(() => {}, 60000);
    `);
    children.push(child);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ phase: 'starting' });
    cores.push(open(h, []));
    // createCore returned only after the other core had finished starting.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ phase: 'open', pid: child.pid });
  });

  it('stops waiting for a core stuck starting at the bound, and reports it', async () => {
    const h = home();
    const child = await liveChild('console.log("up"); setTimeout(() => {}, 60000)');
    children.push(child);
    writePresence(h, `${child.pid}-stuck.json`, {
      pid: child.pid!,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      mode: 'electron',
      phase: 'starting',
    });
    const presence = announcePresence(h, 'cli');
    try {
      expect(presence.others.map((o) => o.pid)).toEqual([child.pid]);
      expect(presence.waitForStartingCores(100).map((o) => o.pid)).toEqual([child.pid]);
    } finally {
      presence.release();
    }
    expect(liveCores(h).map((o) => o.pid)).toEqual([child.pid]);
  });

  it('refuses to restore into a data folder another core has open', async () => {
    const h = home();
    const core = open(h, []);
    const err: string[] = [];
    const io = { out: () => undefined, err: (t: string) => err.push(t) };
    const missing = join(h, '..', 'no-backup');
    expect(await main(['restore', missing, '--force', '--home', h], io)).toBe(1);
    expect(err.join('\n')).toContain(`is open in pid ${process.pid} (cli`);
    expect(existsSync(join(h, STORE_FILE))).toBe(true);
    await core.close();
    // Closed, the restore goes on to check the backup (absent here).
    err.length = 0;
    expect(await main(['restore', missing, '--force', '--home', h], io)).toBe(1);
    expect(err.join('\n')).not.toContain('is open in');
  });

  it('writes a whole record, marks it open, and removes it on release', () => {
    const h = home();
    const presence = announcePresence(h, 'browser');
    expect(presence.others).toEqual([]);
    const read = () => JSON.parse(readFileSync(presence.file, 'utf8')) as PresenceRecord;
    expect(read()).toMatchObject({ pid: process.pid, hostname: hostname(), mode: 'browser', phase: 'starting' });
    presence.markOpen();
    expect(read().phase).toBe('open');
    // No temporaries left behind.
    expect(readdirSync(join(h, PRESENCE_DIR))).toEqual([basename(presence.file)]);
    presence.release();
    presence.release();
    expect(readdirSync(join(h, PRESENCE_DIR))).toEqual([]);
  });
});
