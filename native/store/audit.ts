import type Database from 'better-sqlite3';

/** Kinds of record an audit row or label can point at. */
export type TargetKind =
  | 'patient'
  | 'instance'
  | 'series'
  | 'study'
  | 'note'
  | 'recording'
  | 'label'
  | 'prediction'
  | 'import'
  | 'model-version'
  | 'training-run';

/** One audit entry to write. */
export interface AuditEntry {
  /** Who did it: a user name with the shell it came through, or `system`. */
  readonly actor: string;
  /** What was done, `domain.verb` (for example `notes.get`, `labels.set`, `import.notes`). */
  readonly action: string;
  readonly targetKind?: TargetKind | null;
  readonly targetId?: number | null;
  /** Small JSON-serialisable detail (query text, counts); never note text. */
  readonly detail?: Readonly<Record<string, unknown>> | null;
}

/** A stored audit row. */
export interface AuditRow {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly targetKind: string | null;
  readonly targetId: number | null;
  readonly detail: Record<string, unknown> | null;
}

/** Filter of {@link listAudit}. */
export interface AuditQuery {
  readonly action?: string;
  readonly actor?: string;
  readonly targetKind?: string;
  readonly targetId?: number;
  /** Only rows with an id below this (paging backwards from the newest). */
  readonly beforeId?: number;
  readonly limit: number;
}

/** Appends one audit row and returns its id. */
export function writeAudit(db: Database.Database, entry: AuditEntry): number {
  const info = db
    .prepare('INSERT INTO audit (actor, action, target_kind, target_id, detail_json) VALUES (?, ?, ?, ?, ?)')
    .run(
      entry.actor,
      entry.action,
      entry.targetKind ?? null,
      entry.targetId ?? null,
      entry.detail == null ? null : JSON.stringify(entry.detail),
    );
  return Number(info.lastInsertRowid);
}

/** Lists audit rows, newest first. */
export function listAudit(db: Database.Database, query: AuditQuery): AuditRow[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.action !== undefined) {
    where.push('action = ?');
    params.push(query.action);
  }
  if (query.actor !== undefined) {
    where.push('actor = ?');
    params.push(query.actor);
  }
  if (query.targetKind !== undefined) {
    where.push('target_kind = ?');
    params.push(query.targetKind);
  }
  if (query.targetId !== undefined) {
    where.push('target_id = ?');
    params.push(query.targetId);
  }
  if (query.beforeId !== undefined) {
    where.push('id < ?');
    params.push(query.beforeId);
  }
  const sql =
    `SELECT id, at, actor, action, target_kind, target_id, detail_json FROM audit` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ' ORDER BY id DESC LIMIT ?';
  const rows = db.prepare(sql).all(...params, query.limit) as Array<{
    id: number;
    at: string;
    actor: string;
    action: string;
    target_kind: string | null;
    target_id: number | null;
    detail_json: string | null;
  }>;
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: r.actor,
    action: r.action,
    targetKind: r.target_kind,
    targetId: r.target_id,
    detail: r.detail_json === null ? null : (JSON.parse(r.detail_json) as Record<string, unknown>),
  }));
}
