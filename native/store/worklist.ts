import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import type { LabelState } from './labels.js';
import { STUDY_DATE_SQL } from './migrations/0030-worklist-audit.js';
import { cachedStatement } from './statements.js';

/** Kinds of worklist item. */
export type WorklistKind = 'study' | 'note' | 'recording';

/** Every kind, in the one order the worklist's SQL lists them. */
const ALL_KINDS: readonly WorklistKind[] = ['study', 'note', 'recording'];

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
  /**
   * Keyset paging: continue after the row this cursor (a previous page's `nextCursor`) names.
   * Each page then costs the same however deep it is; `offset` is applied after the cursor.
   */
  readonly cursor?: string;
}

/** Where a page ended, in the list's own order (see {@link WorklistQuery.cursor}). */
interface Cursor {
  /** 1 while in the scored part of a priority-sorted list. */
  readonly s: 0 | 1;
  readonly p: number | null;
  readonly d: string | null;
  readonly k: WorklistKind;
  readonly i: number;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (
      (c.s === 0 || c.s === 1) &&
      (c.p === null || typeof c.p === 'number') &&
      (c.d === null || typeof c.d === 'string') &&
      ALL_KINDS.includes(c.k) &&
      Number.isSafeInteger(c.i)
    )
      return c;
  } catch {
    // fall through
  }
  throw new OslerError('invalid-input', 'the worklist cursor is not one this store handed out');
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
  /**
   * The model version whose prediction made `priority` (the latest among equal scores), or null
   * when the item has no score.
   */
  readonly model: WorklistModel | null;
}

/** A model version as the worklist names it. */
export interface WorklistModel {
  readonly name: string;
  readonly version: string;
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
    // Exactly the indexed expression (studies_date), so the newest-first walk needs no sort.
    date: STUDY_DATE_SQL.replace(/study_date/g, 't.study_date'),
    title: 't.description',
    detail: 't.accession_number',
    modality: 't.modalities',
  },
};

/** Label state of a target from `label_state` (migration 0030): NULL unlabelled, 0 agreed, 1 disputed. */
function disputedOf(kind: string, idExpr: string, byTask: boolean): string {
  return `(SELECT max(s.disputed) FROM label_state s WHERE s.target_kind = ${kind} AND s.target_id = ${idExpr}
      ${byTask ? 'AND s.task = @task' : ''})`;
}

/** Highest model score of a target, kept per target by triggers on `predictions` (migration 0030). */
const PRIORITY = (kind: string, idExpr: string) =>
  `(SELECT tp.score FROM target_priority tp WHERE tp.target_kind = ${kind} AND tp.target_id = ${idExpr})`;

/**
 * The worklist: studies, notes and recordings in one list, filtered by patient, modality, date
 * and label state, ordered by model priority or date. Each kind is read in list order through
 * an index (date, or the per-target priority table) and cut at the page end before the kinds are
 * merged, so a page costs about the same over 100 or 100,000 items; with `cursor` (keyset paging)
 * a deep page costs the same as the first. Label state comes from `label_state`: disputed items
 * are read from its partial index, and a kind whose every item carries a label of the task is
 * skipped for "unlabelled" without probing each item. Each scored row names the model version
 * behind its priority (`target_priority.model_version_id`, migration 0050), looked up for the
 * page's rows only.
 */
export function listWorklist(db: Database.Database, q: WorklistQuery): WorklistPage {
  // One read transaction: the scored and unscored parts and the page's models come from one
  // snapshot while an import or a prediction commits on another connection.
  return db.transaction(() => readWorklist(db, q))();
}

/** A page of the worklist (see {@link listWorklist}). */
export interface WorklistPage {
  readonly items: WorklistItem[];
  readonly hasMore: boolean;
  readonly nextCursor: string | null;
}

function readWorklist(db: Database.Database, q: WorklistQuery): WorklistPage {
  // Always in this order, so the same filters give the same SQL text (and its cached statement).
  const kinds = new Set<WorklistKind>(ALL_KINDS.filter((k) => q.kinds === undefined || q.kinds.includes(k)));
  if (q.modality !== undefined) {
    kinds.delete('note');
    kinds.delete('recording');
  }
  const cursor = q.cursor === undefined ? null : decodeCursor(q.cursor);
  const need = q.offset + q.limit + 1;
  const params = {
    patientKey: q.patientKey ?? null,
    modality: q.modality ?? null,
    dateFrom: q.dateFrom ?? null,
    dateTo: q.dateTo ?? null,
    task: q.task ?? null,
    need,
    cp: cursor?.p ?? null,
    cd: cursor?.d ?? null,
    ck: cursor?.k ?? null,
    ci: cursor?.i ?? null,
  };
  const byTask = q.task !== undefined;

  if (q.labelState === 'unlabelled' && q.patientKey === undefined) {
    // When every item of a kind carries a label (of the task), none is unlabelled: two index
    // counts instead of an anti-join probe per item.
    for (const kind of [...kinds]) {
      const items = cachedStatement(db, `SELECT count(*) FROM ${PARTS[kind].table}`).pluck().get() as number;
      const labelled = (
        byTask
          ? cachedStatement(db, 'SELECT count(*) FROM label_state WHERE target_kind = ? AND task = ?')
              .pluck()
              .get(kind, q.task)
          : cachedStatement(
              db,
              'SELECT count(*) FROM (SELECT DISTINCT target_id FROM label_state WHERE target_kind = ?)',
            )
              .pluck()
              .get(kind)
      ) as number;
      if (labelled >= items) kinds.delete(kind);
    }
  }

  /** Rows after the cursor in `date IS NULL, date DESC, kind, id DESC` order. */
  const afterByDate = (date: string, lit: string): string =>
    cursor!.d === null
      ? `(${date} IS NULL AND (${lit} > @ck OR (${lit} = @ck AND t.id < @ci)))`
      : `(${date} IS NULL OR ${date} < @cd OR (${date} = @cd AND (${lit} > @ck OR (${lit} = @ck AND t.id < @ci))))`;

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
    const task = byTask ? 'AND s.task = @task' : '';
    if (q.labelState === 'unlabelled')
      where.push(
        `NOT EXISTS (SELECT 1 FROM label_state s WHERE s.target_kind = ${lit} AND s.target_id = t.id ${task})`,
      );
    if (q.labelState === 'labelled')
      where.push(
        `EXISTS (SELECT 1 FROM label_state s WHERE s.target_kind = ${lit} AND s.target_id = t.id ${task})
         AND NOT EXISTS (SELECT 1 FROM label_state s WHERE s.target_kind = ${lit} AND s.target_id = t.id ${task} AND s.disputed = 1)`,
      );
    if (scored === 'none')
      where.push(`NOT EXISTS (SELECT 1 FROM target_priority tp WHERE tp.target_kind = ${lit} AND tp.target_id = t.id)`);
    if (cursor !== null) {
      if (scored === 'only') where.push(`(tp.score < @cp OR (tp.score = @cp AND ${afterByDate(p.date, lit)}))`);
      else if (cursor.s === 0) where.push(afterByDate(p.date, lit));
    }
    // Scored items are read from the priority index, highest first; disputed ones from the
    // partial index of disputed targets (few); everything else newest first by date.
    const from: string[] = [];
    if (q.labelState === 'disputed') {
      from.push(
        `(SELECT DISTINCT s.target_id FROM label_state s WHERE s.target_kind = ${lit} AND s.disputed = 1 ${task}) ds`,
      );
      where.unshift('t.id = ds.target_id');
    }
    if (scored === 'only') {
      from.push('target_priority tp');
      where.unshift(`tp.target_kind = ${lit}`, 't.id = tp.target_id');
    }
    from.push(p.table);
    const order = scored === 'only' ? `tp.score DESC, ${p.date} DESC, t.id DESC` : `${p.date} DESC, t.id DESC`;
    return `SELECT * FROM (SELECT ${lit} AS kind, t.id AS id, t.patient_id AS patient_id, ${p.date} AS date, ${p.title} AS title,
        ${p.detail} AS detail, ${p.modality} AS modality FROM ${from.join(' CROSS JOIN ')}
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
        ${disputedOf('w.kind', 'w.id', byTask)} AS disputed, ${PRIORITY('w.kind', 'w.id')} AS priority
      FROM (${parts.join(' UNION ALL ')}) w LEFT JOIN patients pt ON pt.id = w.patient_id
      ORDER BY ${order} LIMIT @limit`;
    return (cachedStatement(db, sql).all({ ...params, limit }) as Row[]).map((r) => ({
      ...r,
      scored: scored === 'only',
    }));
  };

  let rows: Row[];
  if (q.sort === 'priority') {
    const scored = cursor !== null && cursor.s === 0 ? [] : page('only', need);
    rows = scored.length >= need ? scored : [...scored, ...page('none', need - scored.length)];
  } else rows = page('any', need);
  const slice = rows.slice(q.offset, q.offset + q.limit);
  const hasMore = rows.length > q.offset + q.limit;
  const last = slice.at(-1);
  // The model behind each score, for the page's scored rows only: a primary-key probe each,
  // instead of carrying a join through every candidate row the page was cut from.
  const modelOf = cachedStatement(
    db,
    `SELECT m.name, mv.version FROM target_priority tp JOIN model_versions mv ON mv.id = tp.model_version_id
     JOIN models m ON m.id = mv.model_id WHERE tp.target_kind = ? AND tp.target_id = ?`,
  );
  return {
    hasMore,
    nextCursor:
      hasMore && last !== undefined
        ? encodeCursor({ s: last.scored ? 1 : 0, p: last.priority, d: last.date, k: last.kind, i: last.id })
        : null,
    items: slice.map((r) => ({
      kind: r.kind,
      id: r.id,
      patientKey: r.patient_key,
      date: r.date,
      title: r.title,
      detail: r.detail,
      modality: r.modality,
      labelState: r.disputed === null ? 'unlabelled' : r.disputed > 0 ? 'disputed' : 'labelled',
      priority: r.priority,
      model: r.priority === null ? null : ((modelOf.get(r.kind, r.id) as WorklistModel | undefined) ?? null),
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
  disputed: number | null;
  priority: number | null;
  scored: boolean;
}
