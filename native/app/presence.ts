import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, uptime } from 'node:os';
import { join } from 'node:path';

/**
 * Which cores have a data folder open, so that only a core alone on its folder runs the start-up
 * crash recovery (failing 'running' training runs, removing unregistered model folders and the
 * files of unfinished imports): any of those may be the live work of another Osler process, e.g.
 * the desktop app training while the data team runs `osler import` on the same folder.
 *
 * Each core writes `<home>/.cores/<pid>-<random>.json` holding a {@link PresenceRecord} and removes
 * it when it closes (and, best effort, when its process exits). A process that crashed leaves its
 * file behind; the next start on the same host sees the pid is gone and removes it, so recovery
 * still runs after a crash.
 */

/** The folder, inside the data folder, holding one presence file per open core. */
export const PRESENCE_DIR = '.cores';

/** What a presence file holds. */
export interface PresenceRecord {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the core started. */
  readonly startedAt: string;
  /** How the core is hosted ('electron', 'browser', 'cli'). */
  readonly mode: string;
  /**
   * 'starting' until the core has run (or declined) its start-up recovery, then 'open'. Work of a
   * core that started after the other's listing must wait while the other recovers.
   */
  readonly phase: 'starting' | 'open';
}

/** Another core found live on the data folder. */
export interface OtherCore extends PresenceRecord {
  /** Its presence file. */
  readonly file: string;
}

/** This core's presence on a data folder. */
export interface Presence {
  /** This core's presence file. */
  readonly file: string;
  /** The other cores live on the folder when this one announced itself. */
  readonly others: readonly OtherCore[];
  /** Records that this core is done with start-up recovery (or will not run it). */
  markOpen(): void;
  /**
   * Blocks (synchronously, polling, at most `maxMs`, default a minute) while another core that
   * started less than a minute ago is still starting, i.e. may be running its recovery; returns
   * those still starting when it gave up.
   */
  waitForStartingCores(maxMs?: number): OtherCore[];
  /** Removes this core's presence file; safe to call more than once. */
  release(): void;
}

/** A file that does not parse is taken for one being written until it is this old (writes are atomic renames). */
const UNREADABLE_GRACE_MS = 60_000;
/** Slack on the boot-time check, for clock adjustments since the boot. */
const BOOT_SLACK_MS = 5 * 60_000;
/**
 * A core that has been starting for longer than this is taken to be stuck (or to have crashed on
 * another host) and is no longer waited for; also the default bound on one wait.
 */
const STARTING_MAX_AGE_MS = 60_000;
const POLL_MS = 25;

/**
 * Presence files of the cores open in this process, by file name (unique: pid and random), so the
 * same folder reached by another path still matches; removed on exit if still there.
 */
const ownFiles = new Map<string, string>();
let exitHookInstalled = false;

/**
 * Whether a process with `pid` runs on this host. EPERM means it exists but belongs to another
 * user, so it counts as running.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseRecord(text: string): PresenceRecord | null {
  try {
    const v = JSON.parse(text) as Partial<PresenceRecord> | null;
    if (
      v === null ||
      typeof v !== 'object' ||
      typeof v.pid !== 'number' ||
      !Number.isInteger(v.pid) ||
      v.pid <= 0 ||
      typeof v.hostname !== 'string' ||
      typeof v.startedAt !== 'string' ||
      typeof v.mode !== 'string'
    )
      return null;
    return {
      pid: v.pid,
      hostname: v.hostname,
      startedAt: v.startedAt,
      mode: v.mode,
      phase: v.phase === 'starting' ? 'starting' : 'open',
    };
  } catch {
    return null;
  }
}

/**
 * Whether the core that wrote `record` into the file `name` may still be running. Cores on another
 * host (a data folder on a network share) cannot be checked and always count as live. On this
 * host: a file with this process's pid is live only if a core of this process wrote it (otherwise
 * an earlier process that had the same pid left it); a file written before this host last booted
 * is stale whatever its pid; otherwise the pid must be running.
 */
function isLive(name: string, record: PresenceRecord): boolean {
  if (record.hostname !== hostname()) return true;
  if (record.pid === process.pid) return ownFiles.has(name);
  const started = Date.parse(record.startedAt);
  const bootedAt = Date.now() - uptime() * 1000;
  if (Number.isFinite(started) && started < bootedAt - BOOT_SLACK_MS) return false;
  return processAlive(record.pid);
}

/**
 * The other cores live on `home` (excluding the presence file named `self`), removing the files of
 * those that are not: dead pids on this host, files from before the last boot, old temporaries,
 * and files that have not parsed for a minute (presence files are written whole by rename, so
 * one that does not parse is damaged; a recent one counts as live, to be safe).
 */
export function liveCores(home: string, self?: string): OtherCore[] {
  const dir = join(home, PRESENCE_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const live: OtherCore[] = [];
  for (const name of names) {
    if (name === self) continue;
    const file = join(dir, name);
    try {
      const temporary = name.startsWith('.tmp-');
      if (!temporary && !name.endsWith('.json')) continue;
      const record = temporary ? null : parseRecord(readFileSync(file, 'utf8'));
      if (record === null) {
        // A temporary is another core announcing itself right now, unless it is old.
        if (Date.now() - statSync(file).mtimeMs > UNREADABLE_GRACE_MS) rmSync(file, { force: true });
        else if (!temporary) {
          const pid = Number.parseInt(name, 10);
          live.push({ pid, hostname: 'unknown', startedAt: 'unknown', mode: 'unknown', phase: 'open', file });
        }
      } else if (isLive(name, record)) live.push({ ...record, file });
      else rmSync(file, { force: true });
    } catch {
      // Removed by another core between the listing and the read: it closed, or was swept as stale.
    }
  }
  return live;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Writes `record` to `file` through an exclusively created temporary and a rename, so readers see it whole. */
function writeRecord(dir: string, id: string, file: string, record: PresenceRecord): void {
  const temporary = join(dir, `.tmp-${id}-${randomBytes(4).toString('hex')}`);
  writeFileSync(temporary, `${JSON.stringify(record)}\n`, { flag: 'wx' });
  try {
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/**
 * Records that a core of `mode` has `home` open (phase 'starting') and returns the other cores
 * live on it. Announce before doing any work that a recovery could mistake for a crash's
 * leftovers. Two cores starting together: each announces before listing, so at least one sees
 * the other; if only one does, the other (which saw nobody) recovers and the one that saw it waits
 * ({@link Presence.waitForStartingCores}) until that recovery is over before doing any work.
 */
export function announcePresence(home: string, mode: string): Presence {
  const dir = join(home, PRESENCE_DIR);
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const name = `${id}.json`;
  const file = join(dir, name);
  const record: PresenceRecord = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    mode,
    phase: 'starting',
  };
  writeRecord(dir, id, file, record);
  ownFiles.set(name, file);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const f of ownFiles.values()) rmSync(f, { force: true });
    });
  }
  const others = liveCores(home, name);
  return {
    file,
    others,
    markOpen() {
      if (!ownFiles.has(name)) return;
      // A rename onto a file a reader holds open can fail on Windows; left 'starting', the record
      // stops being waited for once it is older than the wait bound.
      for (let attempt = 0; attempt < 5; attempt++)
        try {
          writeRecord(dir, id, file, { ...record, phase: 'open' });
          return;
        } catch {
          sleepSync(POLL_MS);
        }
    },
    waitForStartingCores(maxMs = STARTING_MAX_AGE_MS) {
      const deadline = Date.now() + maxMs;
      for (;;) {
        const starting = liveCores(home, name).filter(
          (c) => c.phase === 'starting' && Date.now() - Date.parse(c.startedAt) < STARTING_MAX_AGE_MS,
        );
        if (starting.length === 0 || Date.now() >= deadline) return starting;
        sleepSync(POLL_MS);
      }
    },
    release() {
      if (!ownFiles.delete(name)) return;
      rmSync(file, { force: true });
    },
  };
}

/** The other cores as one phrase, e.g. `pid 4211 (electron, since 2026-11-29T05:00:00.000Z)`. */
export function describeCores(cores: readonly OtherCore[]): string {
  return cores
    .map(
      (c) =>
        `pid ${c.pid} (${c.mode}${c.hostname === hostname() || c.hostname === 'unknown' ? '' : ` on host ${c.hostname}`}, since ${c.startedAt})`,
    )
    .join(', ');
}
