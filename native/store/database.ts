import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations/index.js';
import { migrate, schemaVersion, type Migration } from './migrate.js';

/** An open case store connection. Exactly one owner per process holds the write connection. */
export interface StoreHandle {
  readonly db: Database.Database;
  /** Schema version after migration. */
  readonly version: number;
  close(): void;
}

/**
 * Opens (creating if needed) the SQLite case store, applies the connection pragmas the store
 * relies on and migrates it. `:memory:` opens a throwaway store for tests.
 */
export function openStore(file: string, migrations: readonly Migration[] = MIGRATIONS): StoreHandle {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    // NORMAL is durable across application crashes in WAL mode; label and model writes raise it
    // to FULL for their own transactions where power-loss durability matters.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return {
    db,
    version: schemaVersion(db),
    close: () => db.close(),
  };
}
