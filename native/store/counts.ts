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
