import type Database from 'better-sqlite3';
import type { LabelState } from './labels.js';

/** Kinds of worklist item. */
export type WorklistKind = 'study' | 'note' | 'recording';

/** Filter and order of {@link listWorklist}. */
export interface WorklistQuery {
  readonly kinds?: readonly WorklistKind[];
  readonly patientKey?: string;
  /** Studies whose modalities include this one (notes and recordings are excluded). */
  readonly modality?: string;
  /** Inclusive ISO dates (YYYY-MM-DD). */
  readonly dateFrom?: string;
  readonly dateTo?: string;
  readonly labelState?: LabelState;
  /** Task the label state is about; any task when absent. */
  readonly task?: string;
  /** `priority`: highest model score first; `date`: newest first. */
  readonly sort: 'priority' | 'date';
  readonly limit: number;
  readonly offset: number;
}

/** One row of the worklist. */
export interface WorklistItem {
  readonly kind: WorklistKind;
  readonly id: number;
  readonly patientKey: string | null;
  /** ISO date or date-time when known. */
  readonly date: string | null;
  readonly title: string | null;
  /** Note kind, recording kind or accession number. */
  readonly detail: string | null;
  readonly modality: string | null;
  readonly labelState: LabelState;
  /** Highest model score recorded for the item, or null. */
  readonly priority: number | null;
}

const STUDY_DATE = `CASE WHEN s.study_date GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
  THEN substr(s.study_date,1,4)||'-'||substr(s.study_date,5,2)||'-'||substr(s.study_date,7,2) ELSE s.study_date END`;

/**
 * The worklist: studies, notes and recordings in one list, filtered by patient, modality, date
 * and label state, ordered by model priority or date.
 */
export function listWorklist(db: Database.Database, q: WorklistQuery): { items: WorklistItem[]; hasMore: boolean } {
  const kinds = new Set<WorklistKind>(q.kinds ?? ['study', 'note', 'recording']);
  if (q.modality !== undefined) {
    kinds.delete('note');
    kinds.delete('recording');
  }
  const parts: string[] = [];
  const patient = q.patientKey !== undefined ? 'AND patient_id = (SELECT id FROM patients WHERE patient_key = @patientKey)' : '';
  if (kinds.has('note'))
    parts.push(`SELECT 'note' AS kind, id, patient_id, note_date AS date, coalesce(title, substr(text, 1, 80)) AS title,
      kind AS detail, NULL AS modality FROM notes WHERE 1 ${patient}`);
  if (kinds.has('recording'))
    parts.push(`SELECT 'recording' AS kind, id, patient_id, start_time AS date,
      coalesce(json_extract(metadata_json, '$.title'), source_key) AS title, kind AS detail, NULL AS modality
      FROM recordings WHERE 1 ${patient}`);
  if (kinds.has('study'))
    parts.push(`SELECT 'study' AS kind, s.id AS id, s.patient_id AS patient_id, ${STUDY_DATE} AS date, s.description AS title,
      s.accession_number AS detail, s.modalities AS modality
      FROM studies s WHERE 1 ${patient.replace('patient_id', 's.patient_id')}
      ${q.modality !== undefined ? "AND instr('\\' || replace(s.modalities, ',', '\\') || '\\', '\\' || @modality || '\\') > 0" : ''}`);
  if (parts.length === 0) return { items: [], hasMore: false };

  const disagreement = `(SELECT max(c) FROM (SELECT count(DISTINCT l.value) AS c FROM labels l
      WHERE l.target_kind = w.kind AND l.target_id = w.id ${q.task !== undefined ? 'AND l.task = @task' : ''}
        AND NOT EXISTS (SELECT 1 FROM labels x WHERE x.supersedes = l.id)
      GROUP BY l.task, l.window_start_ms, l.window_end_ms))`;
  const where: string[] = [];
  if (q.dateFrom !== undefined) where.push('w.date >= @dateFrom');
  if (q.dateTo !== undefined) where.push("w.date < @dateTo || 'T99'");
  if (q.labelState === 'unlabelled') where.push(`${disagreement} IS NULL`);
  if (q.labelState === 'labelled') where.push(`${disagreement} = 1`);
  if (q.labelState === 'disputed') where.push(`${disagreement} > 1`);
  const priority = '(SELECT max(p.score) FROM predictions p WHERE p.target_kind = w.kind AND p.target_id = w.id)';
  const order =
    q.sort === 'priority'
      ? 'priority IS NULL, priority DESC, w.date IS NULL, w.date DESC, w.kind, w.id DESC'
      : 'w.date IS NULL, w.date DESC, w.kind, w.id DESC';
  const sql = `SELECT w.kind, w.id, pt.patient_key, w.date, w.title, w.detail, w.modality,
      ${disagreement} AS disagreement, ${priority} AS priority
    FROM (${parts.join(' UNION ALL ')}) w LEFT JOIN patients pt ON pt.id = w.patient_id
    ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY ${order} LIMIT @limit OFFSET @offset`;
  const rows = db.prepare(sql).all({
    patientKey: q.patientKey ?? null,
    modality: q.modality ?? null,
    dateFrom: q.dateFrom ?? null,
    dateTo: q.dateTo ?? null,
    task: q.task ?? null,
    limit: q.limit + 1,
    offset: q.offset,
  }) as Array<{
    kind: WorklistKind;
    id: number;
    patient_key: string | null;
    date: string | null;
    title: string | null;
    detail: string | null;
    modality: string | null;
    disagreement: number | null;
    priority: number | null;
  }>;
  const hasMore = rows.length > q.limit;
  return {
    hasMore,
    items: rows.slice(0, q.limit).map((r) => ({
      kind: r.kind,
      id: r.id,
      patientKey: r.patient_key,
      date: r.date,
      title: r.title,
      detail: r.detail,
      modality: r.modality,
      labelState: r.disagreement === null ? 'unlabelled' : r.disagreement > 1 ? 'disputed' : 'labelled',
      priority: r.priority,
    })),
  };
}
