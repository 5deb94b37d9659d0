import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { writeAudit } from './audit.js';
import { durableTransaction } from './durable.js';
import { cachedStatement } from './statements.js';

/** What a label can be attached to. */
export type LabelTargetKind = 'instance' | 'series' | 'study' | 'note' | 'recording';
/** Where a label came from. */
export type LabelSource = 'human' | 'imported' | 'model-accepted';
/** Whether a target has a label for a task: none, one agreed value, or several current values. */
export type LabelState = 'unlabelled' | 'labelled' | 'disputed';

/** The thing a label is about; recording labels may cover a window of the recording. */
export interface LabelTarget {
  readonly kind: LabelTargetKind;
  readonly id: number;
  readonly windowStartMs?: number | null;
  readonly windowEndMs?: number | null;
}

/** A stored label. */
export interface Label {
  readonly id: number;
  readonly targetKind: LabelTargetKind;
  readonly targetId: number;
  readonly windowStartMs: number | null;
  readonly windowEndMs: number | null;
  readonly task: string;
  readonly value: string;
  readonly source: LabelSource;
  readonly author: string | null;
  readonly createdAt: string;
  readonly supersedes: number | null;
  /** Whether no later label supersedes this one. */
  readonly current: boolean;
}

/** A label to write. */
export interface LabelInput {
  readonly target: LabelTarget;
  readonly task: string;
  readonly value: string;
  readonly source: LabelSource;
  readonly author: string | null;
  /**
   * The label this one replaces. `undefined`: replace whatever is current (every current label
   * of this target and task, so setting a label also settles a dispute). `null`: add alongside
   * the current labels (an independent second read). A number must name a current label of the
   * same target and task, else the write is refused as a conflict (someone changed it first).
   */
  readonly supersedes?: number | null;
}

const TABLE_OF: Record<LabelTargetKind, string> = {
  instance: 'instances',
  series: 'series',
  study: 'studies',
  note: 'notes',
  recording: 'recordings',
};

interface LabelRow {
  id: number;
  target_kind: LabelTargetKind;
  target_id: number;
  window_start_ms: number | null;
  window_end_ms: number | null;
  task: string;
  value: string;
  source: LabelSource;
  author: string | null;
  created_at: string;
  supersedes: number | null;
  current: number;
}

const LABEL_COLUMNS = `l.id, l.target_kind, l.target_id, l.window_start_ms, l.window_end_ms, l.task, l.value,
  l.source, l.author, l.created_at, l.supersedes,
  NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id) AS current`;

function toLabel(r: LabelRow): Label {
  return {
    id: r.id,
    targetKind: r.target_kind,
    targetId: r.target_id,
    windowStartMs: r.window_start_ms,
    windowEndMs: r.window_end_ms,
    task: r.task,
    value: r.value,
    source: r.source,
    author: r.author,
    createdAt: r.created_at,
    supersedes: r.supersedes,
    current: r.current === 1,
  };
}

/** SQL matching the window of a target (NULL-safe). */
const SAME_WINDOW = 'l.window_start_ms IS @ws AND l.window_end_ms IS @we';

function targetParams(target: LabelTarget, task: string) {
  return {
    kind: target.kind,
    id: target.id,
    ws: target.windowStartMs ?? null,
    we: target.windowEndMs ?? null,
    task,
  };
}

/** The current labels (heads of their supersedes chains) of one target and task, oldest first. */
export function currentLabels(db: Database.Database, target: LabelTarget, task: string): Label[] {
  const rows = cachedStatement(
    db,
    `SELECT ${LABEL_COLUMNS} FROM labels l
     WHERE l.target_kind = @kind AND l.target_id = @id AND l.task = @task AND ${SAME_WINDOW}
       AND NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id)
     ORDER BY l.id`,
  ).all(targetParams(target, task)) as LabelRow[];
  return rows.map(toLabel);
}

/** Current labels of one class of one task, with where they came from. */
export interface LabelClassCount {
  task: string;
  value: string;
  count: number;
  /** How many came from each source (human, imported, model-accepted). */
  sources: { human: number; imported: number; 'model-accepted': number };
  /** How many were written after `since` (0 when no `since` was given). */
  newSince: number;
}

/**
 * The classes (current label values) in use per task, by task then most used first, with counts
 * per source and how many are newer than `since` (e.g. the active model's creation time); narrowed
 * to one task and/or one kind of target when given.
 */
export function labelClasses(
  db: Database.Database,
  filter: { task?: string; targetKind?: LabelTargetKind; since?: string } = {},
): LabelClassCount[] {
  const rows = db
    .prepare(
      `SELECT l.task AS task, l.value AS value, count(*) AS count,
              sum(l.source = 'human') AS human, sum(l.source = 'imported') AS imported,
              sum(l.source = 'model-accepted') AS accepted,
              sum(CASE WHEN @since IS NOT NULL AND l.created_at > @since THEN 1 ELSE 0 END) AS newSince
       FROM labels l
       WHERE (@task IS NULL OR l.task = @task) AND (@kind IS NULL OR l.target_kind = @kind)
         AND NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id)
       GROUP BY l.task, l.value ORDER BY l.task, count DESC, l.value`,
    )
    .all({ task: filter.task ?? null, kind: filter.targetKind ?? null, since: filter.since ?? null }) as Array<{
    task: string;
    value: string;
    count: number;
    human: number;
    imported: number;
    accepted: number;
    newSince: number;
  }>;
  return rows.map((r) => ({
    task: r.task,
    value: r.value,
    count: r.count,
    sources: { human: r.human, imported: r.imported, 'model-accepted': r.accepted },
    newSince: r.newSince,
  }));
}

/** Every label of one target (all tasks and windows, superseded ones included), oldest first. */
export function labelHistory(db: Database.Database, kind: LabelTargetKind, id: number, task?: string): Label[] {
  const rows = db
    .prepare(
      `SELECT ${LABEL_COLUMNS} FROM labels l
       WHERE l.target_kind = ? AND l.target_id = ? ${task === undefined ? '' : 'AND l.task = ?'}
       ORDER BY l.id`,
    )
    .all(...(task === undefined ? [kind, id] : [kind, id, task])) as LabelRow[];
  return rows.map(toLabel);
}

/** State of a set of current labels: none, all agreeing, or disagreeing. */
export function stateOf(current: readonly Pick<Label, 'value'>[]): LabelState {
  if (current.length === 0) return 'unlabelled';
  return current.every((l) => l.value === current[0]!.value) ? 'labelled' : 'disputed';
}

/** The label state of one target and task. */
export function labelState(db: Database.Database, target: LabelTarget, task: string): LabelState {
  return stateOf(currentLabels(db, target, task));
}

function assertTargetExists(db: Database.Database, target: LabelTarget): void {
  const found = db.prepare(`SELECT 1 FROM ${TABLE_OF[target.kind]} WHERE id = ?`).get(target.id);
  if (found === undefined) throw new OslerError('not-found', `no ${target.kind} with id ${target.id}`);
  const { windowStartMs: ws, windowEndMs: we } = target;
  if ((ws != null || we != null) && target.kind !== 'recording')
    throw new OslerError('invalid-input', 'only recording labels can have a window');
  if ((ws == null) !== (we == null) || (ws != null && we != null && !(we > ws)))
    throw new OslerError('invalid-input', 'a label window needs a start before its end');
}

function insertLabel(db: Database.Database, input: LabelInput, supersedes: number | null): number {
  const info = cachedStatement(
    db,
    `INSERT INTO labels (target_kind, target_id, window_start_ms, window_end_ms, task, value, source, author, supersedes)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    input.target.kind,
    input.target.id,
    input.target.windowStartMs ?? null,
    input.target.windowEndMs ?? null,
    input.task,
    input.value,
    input.source,
    input.author,
    supersedes,
  );
  return Number(info.lastInsertRowid);
}

/**
 * Writes a label (see {@link LabelInput.supersedes} for what it replaces) durably
 * (`synchronous=FULL`) with its audit row, in one transaction. When it replaces several
 * current labels (settling a dispute) one row per replaced label is written, all with the same
 * value, so each supersedes chain keeps a single parent. Returns the written labels.
 */
export function setLabel(db: Database.Database, input: LabelInput, actor: string): Label[] {
  return durableTransaction(db, () => {
    assertTargetExists(db, input.target);
    const current = currentLabels(db, input.target, input.task);
    let parents: Array<number | null>;
    if (input.supersedes === null) parents = [null];
    else if (input.supersedes === undefined) parents = current.length === 0 ? [null] : current.map((l) => l.id);
    else {
      const wanted = input.supersedes;
      if (!current.some((l) => l.id === wanted))
        throw new OslerError(
          'conflict',
          `label ${wanted} is not a current ${input.task} label of ${input.target.kind} ${input.target.id}; reload and retry`,
        );
      parents = [wanted];
    }
    const ids = parents.map((p) => insertLabel(db, input, p));
    for (const id of ids)
      writeAudit(db, {
        actor,
        action: 'labels.set',
        targetKind: input.target.kind,
        targetId: input.target.id,
        detail: {
          label: id,
          task: input.task,
          value: input.value,
          source: input.source,
          supersedes: parents[ids.indexOf(id)],
        },
      });
    return ids.map((id) => getLabel(db, id)!);
  });
}

/** The label with `id`, or null. */
export function getLabel(db: Database.Database, id: number): Label | null {
  const r = db.prepare(`SELECT ${LABEL_COLUMNS} FROM labels l WHERE l.id = ?`).get(id) as LabelRow | undefined;
  return r === undefined ? null : toLabel(r);
}

/**
 * Records a label read from an import file, inside the caller's (batch) transaction. It never
 * overrides a human or model-accepted label: if an imported label of this target and task is
 * current with the same value nothing is written; if its value changed, the new value
 * supersedes the old imported one. Returns whether a row was written.
 */
export function importLabel(
  db: Database.Database,
  target: LabelTarget,
  task: string,
  value: string,
  author: string | null,
): boolean {
  const current = currentLabels(db, target, task).filter((l) => l.source === 'imported');
  if (current.some((l) => l.value === value)) return false;
  insertLabel(db, { target, task, value, source: 'imported', author }, current.at(-1)?.id ?? null);
  return true;
}

/** Label state per task (and window) from a target's labels (as {@link labelHistory} returns them). */
export function taskStates(labels: readonly Label[]): Array<{
  task: string;
  windowStartMs: number | null;
  windowEndMs: number | null;
  state: LabelState;
  values: string[];
}> {
  const groups = new Map<string, Label[]>();
  for (const l of labels) {
    if (!l.current) continue;
    const key = JSON.stringify([l.task, l.windowStartMs, l.windowEndMs]);
    const g = groups.get(key) ?? [];
    g.push(l);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => ({
    task: g[0]!.task,
    windowStartMs: g[0]!.windowStartMs,
    windowEndMs: g[0]!.windowEndMs,
    state: stateOf(g),
    values: [...new Set(g.map((l) => l.value))],
  }));
}

/**
 * Every current label of one task (whole-target labels only, not recording windows), optionally
 * for one kind of target, in target order: the labelled set a training run reads.
 */
export function currentLabelsForTask(db: Database.Database, task: string, targetKind?: LabelTargetKind): Label[] {
  const rows = db
    .prepare(
      `SELECT ${LABEL_COLUMNS} FROM labels l
       WHERE l.task = @task AND (@kind IS NULL OR l.target_kind = @kind)
         AND l.window_start_ms IS NULL AND l.window_end_ms IS NULL
         AND NOT EXISTS (SELECT 1 FROM labels s WHERE s.supersedes = l.id)
       ORDER BY l.target_kind, l.target_id, l.id`,
    )
    .all({ task, kind: targetKind ?? null }) as LabelRow[];
  return rows.map(toLabel);
}

/**
 * Ids of items of one kind with no current label for `task`, newest first, at most `limit`:
 * the pool an active-learning review queue ranks.
 */
export function unlabelledTargets(
  db: Database.Database,
  task: string,
  kind: 'note' | 'recording' | 'series',
  limit: number,
): number[] {
  const table = { note: 'notes', recording: 'recordings', series: 'series' }[kind];
  return db
    .prepare(
      `SELECT t.id FROM ${table} t
       WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.target_kind = @kind AND l.target_id = t.id AND l.task = @task)
       ORDER BY t.id DESC LIMIT @limit`,
    )
    .pluck()
    .all({ kind, task, limit }) as number[];
}
