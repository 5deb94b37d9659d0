import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';

/** One schema step. Shipped migrations are never edited; add a new file instead. */
export interface Migration {
  /** Target `user_version`, in steps of 10. */
  readonly version: number;
  readonly name: string;
  up(db: Database.Database): void;
}

/** Reads `PRAGMA user_version`. */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to the newest migration, running every pending step in one transaction
 * (all or nothing). Refuses a database written by a newer Osler rather than guessing at it.
 * @returns the versions applied, oldest first.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version)
      throw new Error(`two migrations share version ${sorted[i]!.version}`);
  }
  const newest = sorted.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > newest) {
    throw new OslerError(
      'conflict',
      `the case store has schema version ${current}, newer than this Osler understands (${newest}); ` +
        'update Osler or open a different data folder',
    );
  }
  const pending = sorted.filter((m) => m.version > current);
  if (pending.length === 0) return [];
  db.transaction(() => {
    for (const m of pending) {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }
  }).immediate();
  return pending.map((m) => m.version);
}
