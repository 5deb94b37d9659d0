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
  /** `priority`: highest model score first, then newest; `date`: newest first. */
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

/** How each kind maps onto the worklist's columns. */
const PARTS: Record<WorklistKind, { table: string; date: string; title: string; detail: string; modality: string }> = {
  note: {
    table: 'notes t',
    date: 't.note_date',
    title: 'coalesce(t.title, substr(t.text, 1, 80))',
    detail: 't.kind',
    modality: 'NULL',
  },
  recording: {
    table: 'recordings t',
    date: 't.start_time',
    title: "coalesce(json_extract(t.metadata_json, '$.title'), t.source_key)",
    detail: 't.kind',
    modality: 'NULL',
  },
  study: {
    table: 'studies t',
    date: `CASE WHEN t.study_date GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
      THEN substr(t.study_date,1,4)||'-'||substr(t.study_date,5,2)||'-'||substr(t.study_date,7,2) ELSE t.study_date END`,
    title: 't.description',
    detail: 't.accession_number',
    modality: 't.modalities',
  },
};

/** Largest number of distinct current values over the target's tasks: NULL none, 1 agreed, >1 disputed. */
function disagreement(kind: string, idExpr: string, byTask: boolean): string {
  return `(SELECT max(c) FROM (SELECT count(DISTINCT l.value) AS c FROM labels l
      WHERE l.target_kind = ${kind} AND l.target_id = ${idExpr} ${byTask ? 'AND l.task = @task' : ''}
        AND NOT EXISTS (SELECT 1 FROM labels x WHERE x.supersedes = l.id)
      GROUP BY l.task, l.window_start_ms, l.window_end_ms))`;
}

const PRIORITY = (kind: string, idExpr: string) =>
  `(SELECT max(p.score) FROM predictions p WHERE p.target_kind = ${kind} AND p.target_id = ${idExpr})`;

/**
 * The worklist: studies, notes and recordings in one list, filtered by patient, modality, date
 * and label state, ordered by model priority or date. Each kind is read newest first through its
 * date index and cut at the page end before the kinds are merged, so a page costs about the
 * same over 100 or 100,000 items; label state and priority are computed for the page only
 * (and, when filtering on label state, for the rows scanned to fill it).
 */
export function listWorklist(db: Database.Database, q: WorklistQuery): { items: WorklistItem[]; hasMore: boolean } {
  const kinds = new Set<WorklistKind>(q.kinds ?? ['study', 'note', 'recording']);
  if (q.modality !== undefined) {
    kinds.delete('note');
    kinds.delete('recording');
  }
  const need = q.offset + q.limit + 1;
  const params = {
    patientKey: q.patientKey ?? null,
    modality: q.modality ?? null,
    dateFrom: q.dateFrom ?? null,
    dateTo: q.dateTo ?? null,
    task: q.task ?? null,
    need,
  };
  const byTask = q.task !== undefined;

  const partSql = (kind: WorklistKind, scored: 'only' | 'none' | 'any'): string => {
    const p = PARTS[kind];
    const lit = `'${kind}'`;
    const where: string[] = [];
    if (q.patientKey !== undefined)
      where.push('t.patient_id = (SELECT id FROM patients WHERE patient_key = @patientKey)');
    if (kind === 'study' && q.modality !== undefined)
      where.push(`instr('\\' || replace(t.modalities, ',', '\\') || '\\', '\\' || @modality || '\\') > 0`);
    if (q.dateFrom !== undefined) where.push(`${p.date} >= @dateFrom`);
    if (q.dateTo !== undefined) where.push(`${p.date} < @dateTo || 'T99'`);
    const d = disagreement(lit, 't.id', byTask);
    // Every supersedes chain has a head, so "no current label" is "no label at all": an index probe.
    if (q.labelState === 'unlabelled')
      where.push(
        `NOT EXISTS (SELECT 1 FROM labels l WHERE l.target_kind = ${lit} AND l.target_id = t.id ${byTask ? 'AND l.task = @task' : ''})`,
      );
    if (q.labelState === 'labelled') where.push(`${d} = 1`);
    if (q.labelState === 'disputed') where.push(`${d} > 1`);
    const hasScore = `EXISTS (SELECT 1 FROM predictions p WHERE p.target_kind = ${lit} AND p.target_id = t.id AND p.score IS NOT NULL)`;
    if (scored === 'only') where.push(hasScore);
    if (scored === 'none') where.push(`NOT ${hasScore}`);
    const order =
      scored === 'only' ? `${PRIORITY(lit, 't.id')} DESC, ${p.date} DESC, t.id DESC` : `${p.date} DESC, t.id DESC`;
    return `SELECT * FROM (SELECT ${lit} AS kind, t.id AS id, t.patient_id AS patient_id, ${p.date} AS date, ${p.title} AS title,
        ${p.detail} AS detail, ${p.modality} AS modality FROM ${p.table}
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT @need)`;
  };

  const page = (scored: 'only' | 'none' | 'any', limit: number): Row[] => {
    const parts = [...kinds].map((k) => partSql(k, scored));
    if (parts.length === 0 || limit <= 0) return [];
    const order =
      scored === 'only'
        ? 'priority DESC, w.date IS NULL, w.date DESC, w.kind, w.id DESC'
        : 'w.date IS NULL, w.date DESC, w.kind, w.id DESC';
    const sql = `SELECT w.kind, w.id, pt.patient_key, w.date, w.title, w.detail, w.modality,
        ${disagreement('w.kind', 'w.id', byTask)} AS disagreement, ${PRIORITY('w.kind', 'w.id')} AS priority
      FROM (${parts.join(' UNION ALL ')}) w LEFT JOIN patients pt ON pt.id = w.patient_id
      ORDER BY ${order} LIMIT ${limit}`;
    return db.prepare(sql).all(params) as Row[];
  };

  let rows: Row[];
  if (q.sort === 'priority') {
    const scored = page('only', need);
    rows = scored.length >= need ? scored : [...scored, ...page('none', need - scored.length)];
  } else rows = page('any', need);
  const slice = rows.slice(q.offset, q.offset + q.limit);
  return {
    hasMore: rows.length > q.offset + q.limit,
    items: slice.map((r) => ({
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

interface Row {
  kind: WorklistKind;
  id: number;
  patient_key: string | null;
  date: string | null;
  title: string | null;
  detail: string | null;
  modality: string | null;
  disagreement: number | null;
  priority: number | null;
}
