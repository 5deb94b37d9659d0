import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * Which cores have a data folder open, so that only a core alone on its folder runs the start-up
 * crash recovery (failing 'running' training runs, removing unregistered model folders and the
 * files of unfinished imports): any of those may be the live work of another Osler process, e.g.
 * the desktop app training while the data team runs `osler import` on the same folder.
 *
 * Liveness is a lock the operating system holds for the core and drops when its process ends,
 * however it ends: each core keeps `<home>/.cores/<id>.lock`, an SQLite file, in an open
 * `BEGIN EXCLUSIVE` transaction for its whole life. A checker tries to read it (a shared lock):
 * busy means the core lives; read means its process is gone (a pid reused since, or a renamed
 * host, changes nothing). `<id>.json` beside it says who it is, for messages only.
 *
 * Starts are serialized by `<home>/.cores/start.lock`, held from announcing through recovery, so
 * a core that starts while another recovers sees that one live and its work never lands under the
 * other's sweep.
 */

/** The folder, inside the data folder, holding the presence files of the open cores. */
export const PRESENCE_DIR = '.cores';
/** The lock (inside {@link PRESENCE_DIR}) that serializes starts. */
export const START_LOCK_FILE = 'start.lock';

/** Who holds a presence (its `.json` sidecar): for messages only, never for liveness. */
export interface PresenceInfo {
  readonly pid: number;
  readonly hostname: string;
  /** ISO time the core started. */
  readonly startedAt: string;
  /** How the core is hosted ('electron', 'browser', 'cli'), or 'restore'. */
  readonly mode: string;
}

/** Another core that may have the data folder open. */
export interface OtherCore {
  /** Its presence (lock) file, or the presence folder when that could not be listed. */
  readonly file: string;
  /** From its sidecar; null when that is missing or unreadable. */
  readonly info: PresenceInfo | null;
  /**
   * 'live': its lock is held. 'starting': created under a minute ago and not yet locked.
   * 'unknown': the check failed (the reason says why), so it is counted as live, to be safe.
   */
  readonly state: 'live' | 'starting' | 'unknown';
  readonly reason?: string;
}

/** This core's presence on a data folder. */
export interface Presence {
  /** This core's presence (lock) file. */
  readonly file: string;
  /** The other cores on the folder when this one announced itself. */
  readonly others: readonly OtherCore[];
  /** Other cores on the folder now (e.g. just before a restore swaps the folder). */
  othersNow(): OtherCore[];
  /**
   * Whether another core is on the folder now: asked by crash recovery before each deletion, since
   * a core whose start gave up waiting for the start lock may announce itself mid-recovery.
   */
  othersAppeared(): boolean;
  /** Ends the start (recovery done or declined): lets the next core start. Safe to call more than once. */
  started(): void;
  /**
   * Drops the lock and removes this presence (and the start lock if still held); safe to call
   * more than once. Tries every step and then throws the first failure; whatever is left behind
   * is unlocked, so the next check removes it.
   */
  release(): void;
}

/**
 * A lock file found unlocked with no sidecar is taken for one being created (its owner writes the
 * sidecar only once it holds the lock) until it is this old; so are temporaries.
 */
const CREATION_GRACE_MS = 60_000;
/** How long a start waits for another core's start (and recovery) to end. */
const START_WAIT_MS = 5_000;
/** How long a core waits to take its own new lock while a checker briefly holds it. */
const OWN_LOCK_WAIT_MS = 5_000;

interface Own {
  db: Database.Database | null;
  start: Database.Database | null;
  readonly lock: string;
  readonly sidecar: string;
}
/** Presences of the cores open in this process (the handles must stay referenced: finalizing one drops its lock). */
const owned = new Set<Own>();
let exitHookInstalled = false;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function closeQuietly(db: Database.Database | null): void {
  try {
    db?.close();
  } catch {
    // Closing is best effort here: the handle is dropped either way.
  }
}

/** Whether `path` is gone; throws when that cannot be told. */
function isGone(path: string): boolean {
  try {
    lstatSync(path);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

function ageMs(path: string): number {
  return Date.now() - lstatSync(path).mtimeMs;
}

function readInfo(sidecar: string): PresenceInfo | null {
  try {
    const v = JSON.parse(readFileSync(sidecar, 'utf8')) as Partial<PresenceInfo> | null;
    if (
      v === null ||
      typeof v !== 'object' ||
      typeof v.pid !== 'number' ||
      typeof v.hostname !== 'string' ||
      typeof v.startedAt !== 'string' ||
      typeof v.mode !== 'string'
    )
      return null;
    return { pid: v.pid, hostname: v.hostname, startedAt: v.startedAt, mode: v.mode };
  } catch {
    return null;
  }
}

/**
 * Takes the exclusive lock on an SQLite file and keeps it until the transaction ends or the
 * connection closes (or the process dies). No rollback journal: nothing is ever written, and a
 * journal file would only be one more thing to clean up.
 */
function holdExclusive(db: Database.Database): void {
  db.pragma('journal_mode = MEMORY');
  db.exec('BEGIN EXCLUSIVE');
}

/** Removes a dead presence: lock first, so a checker never finds an unlocked lock without its sidecar. */
function removeDead(lock: string, sidecar: string): void {
  try {
    rmSync(lock, { force: true });
    rmSync(`${lock}-journal`, { force: true });
    rmSync(sidecar, { force: true });
  } catch {
    // Left for the next check: an unlocked lock with its sidecar is dead whoever finds it.
  }
}

/**
 * Checks one presence lock. Never opened with node:fs: closing any descriptor of a file drops
 * every POSIX lock this process holds on it, and SQLite guards only its own descriptors.
 */
function check(lock: string, sidecar: string): OtherCore | null {
  let db: Database.Database | null = null;
  try {
    // A shared lock, read-only: it is refused only while the owner holds its exclusive one, so
    // checkers running at once never take each other for a live core, and a checker that may
    // only read the folder can still tell.
    db = new Database(lock, { readonly: true, fileMustExist: true, timeout: 0 });
    db.exec('BEGIN');
    db.prepare('SELECT count(*) FROM sqlite_master').pluck().get();
  } catch (error) {
    closeQuietly(db);
    if ((error as { code?: string }).code === 'SQLITE_BUSY')
      return { file: lock, info: readInfo(sidecar), state: 'live' };
    try {
      if (isGone(lock)) return null;
    } catch {
      // Neither openable nor statable: reported with the first error.
    }
    return { file: lock, info: readInfo(sidecar), state: 'unknown', reason: errorText(error) };
  }
  // We hold a shared lock, so its owner holds no exclusive one. Dead if the owner got as far as
  // writing the sidecar (it does so only while holding its lock) or if the file is older than any
  // creation.
  try {
    const dead = !isGone(sidecar) || ageMs(lock) > CREATION_GRACE_MS;
    closeQuietly(db);
    if (!dead) return { file: lock, info: null, state: 'starting' };
    removeDead(lock, sidecar);
    return null;
  } catch (error) {
    closeQuietly(db);
    return { file: lock, info: readInfo(sidecar), state: 'unknown', reason: errorText(error) };
  }
}

/**
 * The other cores that may have `home` open (excluding the presence named `self`), removing the
 * presence files of those that are gone. Anything that cannot be checked counts as a live core.
 */
export function liveCores(home: string, self?: string): OtherCore[] {
  const dir = join(home, PRESENCE_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [{ file: dir, info: null, state: 'unknown', reason: errorText(error) }];
  }
  const found: OtherCore[] = [];
  const locks = new Set(names.filter((n) => n.endsWith('.lock') && n !== START_LOCK_FILE));
  for (const name of names) {
    const path = join(dir, name);
    if (name === START_LOCK_FILE || name === self) continue;
    if (name.startsWith('.tmp-') || (name.endsWith('.json') && !locks.has(`${name.slice(0, -5)}.lock`))) {
      // A sidecar being written, or one whose lock is gone (removed lock first).
      try {
        if (ageMs(path) > CREATION_GRACE_MS) rmSync(path, { force: true });
      } catch {
        // Gone already, or left for the next check: it never counts as a core.
      }
      continue;
    }
    if (!locks.has(name)) continue;
    const core = check(path, join(dir, `${name.slice(0, -5)}.json`));
    if (core !== null) found.push(core);
  }
  return found;
}

/** Takes the start lock, waiting a few seconds for a start in progress; null when the wait gave up. */
function takeStartLock(dir: string, home: string, log: (m: string) => void): Database.Database | null {
  const file = join(dir, START_LOCK_FILE);
  const db = new Database(file, { timeout: 0 });
  try {
    for (const waitMs of [0, START_WAIT_MS]) {
      try {
        if (waitMs > 0) {
          log(
            `osler: waiting up to ${waitMs / 1000} s for another Osler core starting on ${home} (start lock ${file})`,
          );
          db.pragma(`busy_timeout = ${waitMs}`);
        }
        holdExclusive(db);
        return db;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      }
    }
    log(
      `osler: gave up waiting for another Osler core starting on ${home} (start lock ${file}); going on without it: a core holding it has already announced itself, so this start sees it and leaves crash recovery alone`,
    );
    db.close();
    return null;
  } catch (error) {
    closeQuietly(db);
    throw error;
  }
}

function writeSidecar(dir: string, id: string, file: string, info: PresenceInfo): void {
  const temporary = join(dir, `.tmp-${id}.json`);
  writeFileSync(temporary, `${JSON.stringify(info)}\n`, { flag: 'wx' });
  try {
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function releaseOwn(own: Own): void {
  owned.delete(own);
  const failures: unknown[] = [];
  for (const step of [
    () => own.start?.close(),
    () => own.db?.close(),
    () => rmSync(own.lock, { force: true }),
    () => rmSync(own.sidecar, { force: true }),
  ])
    try {
      step();
    } catch (error) {
      failures.push(error);
    }
  own.start = null;
  own.db = null;
  if (failures.length > 0) throw failures[0];
}

/**
 * Announces that a core of `mode` has `home` open and returns the other cores on it. Waits (a
 * few seconds at most, logged) for another core's start to end, and holds the start lock until
 * {@link Presence.started}: call that once recovery is done or declined. Announce before doing
 * any work that a recovery could mistake for a crash's leftovers.
 *
 * Creation order, so that a checker never removes a presence being created: the lock file is
 * created and locked under its final name, then the sidecar is written (by rename). A checker
 * that takes the lock of a file without a sidecar leaves it alone for a minute. (A lock file
 * created under a temporary name and renamed once locked would do too on Linux and macOS, where
 * an open file renames freely, but not on Windows: SQLite opens files without FILE_SHARE_DELETE,
 * so renaming an open database fails with a sharing violation.)
 */
export function announcePresence(home: string, mode: string, log: (m: string) => void = () => undefined): Presence {
  const dir = join(home, PRESENCE_DIR);
  mkdirSync(dir, { recursive: true });
  const id = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const name = `${id}.lock`;
  const own: Own = { db: null, start: null, lock: join(dir, name), sidecar: join(dir, `${id}.json`) };
  owned.add(own);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const o of [...owned])
        try {
          releaseOwn(o);
        } catch {
          // Exiting: the OS drops the locks, and the next check removes what is left.
        }
    });
  }
  let others: OtherCore[];
  try {
    own.start = takeStartLock(dir, home, log);
    own.db = new Database(own.lock, { timeout: OWN_LOCK_WAIT_MS });
    holdExclusive(own.db);
    writeSidecar(dir, id, own.sidecar, {
      pid: process.pid,
      hostname: hostname(),
      startedAt: new Date().toISOString(),
      mode,
    });
    others = liveCores(home, name);
  } catch (error) {
    try {
      releaseOwn(own);
    } catch {
      // The announcement's own error is the one to report.
    }
    throw error;
  }
  return {
    file: own.lock,
    others,
    othersNow: () => liveCores(home, name),
    othersAppeared: () => liveCores(home, name).length > 0,
    started() {
      const start = own.start;
      own.start = null;
      closeQuietly(start);
    },
    release() {
      if (owned.has(own)) releaseOwn(own);
    },
  };
}

/**
 * The other cores as one phrase naming each presence file, e.g.
 * `pid 4211 (electron, since 2026-11-29T05:00:00.000Z, presence /data/.cores/4211-….lock)`.
 */
export function describeCores(cores: readonly OtherCore[]): string {
  return cores
    .map((c) => {
      const i = c.info;
      const parts =
        i === null
          ? []
          : [`${i.mode}${i.hostname === hostname() ? '' : ` on host ${i.hostname}`}`, `since ${i.startedAt}`];
      parts.push(
        c.state === 'unknown'
          ? `presence ${c.file} could not be checked: ${c.reason}; delete it if no Osler process has this folder open`
          : `${c.state === 'starting' ? 'starting, ' : ''}presence ${c.file}`,
      );
      return `${i === null ? 'an Osler process' : `pid ${i.pid}`} (${parts.join(', ')})`;
    })
    .join(', ');
}
