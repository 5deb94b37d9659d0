import type Database from 'better-sqlite3';
import type { StoreCounts } from '../contract/channels.js';

const TABLES: Record<keyof StoreCounts, string> = {
  patients: 'patients',
  studies: 'studies',
  series: 'series',
  instances: 'instances',
  notes: 'notes',
  recordings: 'recordings',
  labels: 'labels',
  models: 'models',
  predictions: 'predictions',
};

/** Counts the rows of each aggregate the store holds. */
export function countStore(db: Database.Database): StoreCounts {
  const parts = Object.entries(TABLES).map(([key, table]) => `(SELECT count(*) FROM ${table}) AS ${key}`);
  return db.prepare(`SELECT ${parts.join(', ')}`).get() as StoreCounts;
}

/** Row counts of every table of the store (FTS5 shadow tables excluded), by table name. */
export function countTables(db: Database.Database): Record<string, number> {
  const tables = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         AND name NOT LIKE 'notes_fts_%' ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  const out: Record<string, number> = {};
  for (const t of tables)
    out[t] = db
      .prepare(`SELECT count(*) FROM "${t.replace(/"/g, '""')}"`)
      .pluck()
      .get() as number;
  return out;
}
