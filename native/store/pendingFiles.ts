import type Database from 'better-sqlite3';
import { readdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { resolveManaged } from './managedFiles.js';

/**
 * Records that this process is about to write the managed file `path` (relative to the data
 * folder). Committed before the write, and removed in the transaction that commits the row
 * pointing at the file, so a crash in between leaves a record of exactly what may be orphaned.
 */
export function notePendingFile(db: Database.Database, path: string): void {
  db.prepare('INSERT INTO pending_files (path, pid) VALUES (?, ?)').run(path, process.pid);
}

/** Clears this process's pending records for `paths` (call inside the transaction that commits their rows). */
export function clearPendingFiles(db: Database.Database, paths: readonly string[]): void {
  const stmt = db.prepare('DELETE FROM pending_files WHERE path = ? AND pid = ?');
  for (const p of paths) stmt.run(p, process.pid);
}

/** How many managed files are recorded as being written: by a live import, or one a crash interrupted. */
export function countPendingFiles(db: Database.Database): number {
  return db.prepare('SELECT count(*) FROM pending_files').pluck().get() as number;
}

/** What {@link sweepPendingFiles} removed. */
export interface SweepReport {
  /** Managed files no row points at, left by a crashed import. */
  readonly files: number;
  /** Temporary files of interrupted writes. */
  readonly temporary: number;
  /** The sweep stopped because another core appeared; what is left is swept at a later start. */
  readonly stopped: boolean;
}

/**
 * Removes what imports that died mid-way left behind: each pending file is deleted unless a row now
 * points at it (content-addressed files may be shared), and so are temporary files in their folders.
 * Run only by a core alone on its data folder, before it imports anything (see app/presence.ts):
 * then no record is a live import's, whatever its pid (a pid check would keep a record whose pid was
 * reused since, and its files, for good). `othersAppeared` is asked before each deletion: once it says another core opened the folder
 * (whose first writes could look like leftovers), the sweep stops, keeping the records of what
 * it did not finish for a later start.
 */
export function sweepPendingFiles(
  db: Database.Database,
  home: string,
  othersAppeared: () => boolean = () => false,
): SweepReport {
  const rows = db.prepare('SELECT id, path FROM pending_files').all() as Array<{ id: number; path: string }>;
  if (rows.length === 0) return { files: 0, temporary: 0, stopped: false };
  const referenced = db.prepare('SELECT 1 FROM instances WHERE path = ? LIMIT 1').pluck();
  let files = 0;
  let temporary = 0;
  let stopped = false;
  const dirs = new Set<string>();
  const handled: typeof rows = [];
  for (const r of rows) {
    let full: string;
    try {
      full = resolveManaged(home, r.path);
    } catch {
      handled.push(r);
      continue; // a path outside the data folder is never ours to delete
    }
    if (referenced.get(r.path) === undefined) {
      if (othersAppeared()) {
        stopped = true;
        break;
      }
      try {
        rmSync(full);
        files++;
      } catch {
        // already gone: the write never happened
      }
    }
    dirs.add(dirname(full));
    handled.push(r);
  }
  // Temporary names are random, so a live writer's could not be told apart; none writes now (see above).
  if (!stopped)
    sweep: for (const dir of dirs) {
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names)
        if (name.startsWith('.tmp-')) {
          if (othersAppeared()) {
            // Every record is kept, so a later start sweeps these folders' temporaries again.
            stopped = true;
            handled.length = 0;
            break sweep;
          }
          rmSync(`${dir}/${name}`, { force: true });
          temporary++;
        }
    }
  const del = db.prepare('DELETE FROM pending_files WHERE id = ?');
  db.transaction(() => {
    for (const r of handled) del.run(r.id);
  })();
  return { files, temporary, stopped };
}
