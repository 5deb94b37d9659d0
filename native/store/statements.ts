import type Database from 'better-sqlite3';

/** Distinct SQL texts kept per connection before the cache starts over (a bound, not a tuning knob). */
const MAX_STATEMENTS = 256;

const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A prepared statement cached per connection. Preparing compiles the SQL (and, for an INSERT
 * into `labels`, its triggers), which costs more than running a small indexed query; callers
 * whose SQL is assembled from a finite set of filters get one compile per variant. Values go in
 * as bound parameters, never into the SQL text, or every call would be a new variant. Each call
 * returns the statement in its default row mode (a caller's earlier `pluck()` does not carry over).
 */
export function cachedStatement(db: Database.Database, sql: string): Database.Statement {
  let byDb = statements.get(db);
  if (byDb === undefined) statements.set(db, (byDb = new Map()));
  let stmt = byDb.get(sql);
  if (stmt === undefined) {
    if (byDb.size >= MAX_STATEMENTS) byDb.clear();
    byDb.set(sql, (stmt = db.prepare(sql)));
  } else if (stmt.reader) {
    // pluck/raw/expand stick to the statement: hand every caller the default row shape.
    stmt.pluck(false).raw(false).expand(false);
  }
  return stmt;
}
