import type Database from 'better-sqlite3';

/**
 * Runs `fn` in an immediate transaction with `synchronous=FULL`, so the commit is on disk before
 * this returns even if the machine loses power (labels and model promotions must survive that;
 * bulk imports keep the connection's NORMAL). The previous setting is restored afterwards.
 * Nested calls (already inside a transaction) simply run `fn` in the outer transaction.
 */
export function durableTransaction<T>(db: Database.Database, fn: () => T): T {
  if (db.inTransaction) return fn();
  const previous = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn).immediate();
  } finally {
    db.pragma(`synchronous = ${previous}`);
  }
}
