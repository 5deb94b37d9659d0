import type Database from 'better-sqlite3';
import { writeAudit, type TargetKind } from './audit.js';
import { durableTransaction } from './durable.js';

/** What an image annotation is attached to. */
export type AnnotationTargetKind = 'instance' | 'series' | 'study' | 'note' | 'recording';

/** A stored annotation (measurement, marker) with who made it and when. */
export interface StoredAnnotation {
  readonly id: number;
  readonly targetKind: AnnotationTargetKind;
  readonly targetId: number;
  /** Tool or annotation kind (Length, EllipticalROI, Probe, ...). */
  readonly kind: string;
  /** Tool-specific JSON (points in patient coordinates, computed statistics). */
  readonly data: unknown;
  readonly author: string | null;
  readonly createdAt: string;
}

interface Row {
  id: number;
  target_kind: AnnotationTargetKind;
  target_id: number;
  kind: string;
  data_json: string;
  author: string | null;
  created_at: string;
}

const toAnnotation = (r: Row): StoredAnnotation => ({
  id: r.id,
  targetKind: r.target_kind,
  targetId: r.target_id,
  kind: r.kind,
  data: JSON.parse(r.data_json) as unknown,
  author: r.author,
  createdAt: r.created_at,
});

/** Annotations of a target, oldest first. */
export function listAnnotations(db: Database.Database, kind: AnnotationTargetKind, id: number): StoredAnnotation[] {
  const rows = db
    .prepare('SELECT * FROM annotations WHERE target_kind = ? AND target_id = ? ORDER BY id')
    .all(kind, id) as Row[];
  return rows.map(toAnnotation);
}

/** Saves a new annotation durably and audits it; returns it as stored. */
export function addAnnotation(
  db: Database.Database,
  input: { targetKind: AnnotationTargetKind; targetId: number; kind: string; data: unknown },
  author: string,
): StoredAnnotation {
  return durableTransaction(db, () => {
    const row = db
      .prepare(
        `INSERT INTO annotations (target_kind, target_id, kind, data_json, author) VALUES (?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(input.targetKind, input.targetId, input.kind, JSON.stringify(input.data), author) as Row;
    writeAudit(db, {
      actor: author,
      action: 'annotations.save',
      targetKind: input.targetKind,
      targetId: input.targetId,
      detail: { annotationId: row.id, kind: input.kind },
    });
    return toAnnotation(row);
  });
}

/** The item an annotation is on, for its audit rows. */
function targetOf(
  db: Database.Database,
  id: number,
): { targetKind: TargetKind; targetId: number } | Record<string, never> {
  const row = db.prepare('SELECT target_kind, target_id FROM annotations WHERE id = ?').get(id) as
    { target_kind: TargetKind; target_id: number } | undefined;
  return row === undefined ? {} : { targetKind: row.target_kind, targetId: row.target_id };
}

/** Replaces an annotation's data (after an edit in the viewer). Returns false when it does not exist. */
export function updateAnnotation(db: Database.Database, id: number, data: unknown, author: string): boolean {
  return durableTransaction(db, () => {
    const changed = db
      .prepare('UPDATE annotations SET data_json = ? WHERE id = ?')
      .run(JSON.stringify(data), id).changes;
    if (changed > 0)
      writeAudit(db, {
        actor: author,
        action: 'annotations.update',
        ...targetOf(db, id),
        detail: { annotationId: id },
      });
    return changed > 0;
  });
}

/** Deletes an annotation. Returns false when it does not exist. */
export function deleteAnnotation(db: Database.Database, id: number, author: string): boolean {
  return durableTransaction(db, () => {
    const target = targetOf(db, id);
    const changed = db.prepare('DELETE FROM annotations WHERE id = ?').run(id).changes;
    if (changed > 0)
      writeAudit(db, { actor: author, action: 'annotations.delete', ...target, detail: { annotationId: id } });
    return changed > 0;
  });
}
