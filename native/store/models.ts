import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { writeAudit } from './audit.js';
import { durableTransaction } from './durable.js';

/** Registry state of a model version. */
export type ModelState = 'active' | 'candidate' | 'retired';

/** A stored model version. */
export interface ModelVersionRow {
  readonly id: number;
  readonly modelId: number;
  readonly name: string;
  readonly task: string;
  readonly version: string;
  readonly state: ModelState;
  /** Bundle folder, relative to the data folder. */
  readonly path: string;
  /**
   * The metadata registered with the version, without a text vocabulary or per-feature weights
   * (megabytes that no registry reader needs; the bundle's metadata.json has them).
   */
  readonly metadata: Record<string, unknown>;
  readonly metrics: Record<string, number>;
  readonly trainingRunId: number | null;
  readonly parentVersionId: number | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly activatedAt: string | null;
  readonly stateReason: string | null;
}

/** A version to register; its bundle files must already be complete on disk. */
export interface NewVersion {
  readonly name: string;
  readonly task: string;
  /** Architecture family (image-resnet, text-bilstm ...) or `imported`. */
  readonly family: string;
  readonly version: string;
  readonly state: 'active' | 'candidate';
  readonly path: string;
  readonly metadata: Record<string, unknown>;
  readonly metrics: Record<string, number>;
  readonly trainingRunId?: number | null;
  readonly parentVersionId?: number | null;
  readonly reason?: string;
  /** SHA-256 (hex) of each of the bundle's own files, by file name (see bundleDigests). */
  readonly files?: BundleDigests;
}

/** SHA-256 (hex) of each of a version's own bundle files, by file name, as registered. */
export type BundleDigests = Readonly<Record<string, string>>;

/** A training run row. */
export interface TrainingRunRow {
  readonly id: number;
  readonly modelId: number;
  readonly name: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  readonly params: Record<string, unknown>;
  readonly metrics: Record<string, unknown> | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly error: string | null;
  readonly versionId: number | null;
  readonly createdBy: string;
}

interface VersionDbRow {
  id: number;
  model_id: number;
  name: string;
  task: string;
  version: string;
  state: ModelState;
  path: string;
  metadata_json: string;
  metrics_json: string | null;
  training_run_id: number | null;
  parent_version_id: number | null;
  created_at: string;
  created_by: string;
  activated_at: string | null;
  state_reason: string | null;
}

const VERSION_SELECT = `
  SELECT v.id, v.model_id, m.name, m.task, v.version, v.state, v.path,
         v.metadata_json, v.metrics_json,
         v.training_run_id, v.parent_version_id, v.created_at, v.created_by, v.activated_at, v.state_reason
  FROM model_versions v JOIN models m ON m.id = v.model_id`;

function toVersion(row: VersionDbRow): ModelVersionRow {
  return {
    id: row.id,
    modelId: row.model_id,
    name: row.name,
    task: row.task,
    version: row.version,
    state: row.state,
    path: row.path,
    metadata: JSON.parse(row.metadata_json) as Record<string, unknown>,
    metrics: row.metrics_json === null ? {} : (JSON.parse(row.metrics_json) as Record<string, number>),
    trainingRunId: row.training_run_id,
    parentVersionId: row.parent_version_id,
    createdAt: row.created_at,
    createdBy: row.created_by,
    activatedAt: row.activated_at,
    stateReason: row.state_reason,
  };
}

const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

/** The model id for a name, creating the model row if needed (task must match an existing one). */
function ensureModel(db: Database.Database, name: string, task: string, family: string): number {
  const row = db.prepare('SELECT id, task FROM models WHERE name = ?').get(name) as
    { id: number; task: string } | undefined;
  if (row !== undefined) {
    if (row.task !== task) throw new OslerError('conflict', `model ${name} is a ${row.task} model, not ${task}`);
    return row.id;
  }
  return Number(
    db.prepare('INSERT INTO models (name, task, family) VALUES (?, ?, ?)').run(name, task, family).lastInsertRowid,
  );
}

/**
 * A version's metadata as the registry keeps (and the client gets) it: a text model's vocabulary and
 * per-feature weights (56,000 entries each for abstract-condition, most of its 1.8 MB; the bundle on
 * disk keeps them) give way to their sizes. Every registry read would otherwise parse megabytes.
 */
export function slimModelMetadata(meta: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...meta };
  const input = meta.input as Record<string, unknown> | undefined;
  if (input !== undefined && Array.isArray(input.vocabulary)) {
    const { vocabulary, ...rest } = input;
    out.input = { ...rest, vocabularySize: (vocabulary as unknown[]).length };
  }
  const spec = meta.spec as Record<string, unknown> | undefined;
  if (spec !== undefined && Array.isArray(spec.featureWeights)) {
    const { featureWeights, ...rest } = spec;
    out.spec = { ...rest, featureWeightCount: (featureWeights as unknown[]).length };
  }
  return out;
}

/**
 * Registers a version whose files already exist (the caller wrote them durably first). An `active`
 * version retires the previous active one in the same transaction. Audited; FULL synchronous.
 */
export function addModelVersion(db: Database.Database, input: NewVersion, actor: string): ModelVersionRow {
  const id = durableTransaction(db, () => {
    const modelId = ensureModel(db, input.name, input.task, input.family);
    const exists = db
      .prepare('SELECT 1 FROM model_versions WHERE model_id = ? AND version = ?')
      .get(modelId, input.version);
    if (exists !== undefined)
      throw new OslerError('conflict', `model ${input.name} already has a version ${input.version}`);
    if (input.state === 'active')
      db.prepare(
        `UPDATE model_versions SET state = 'retired', state_reason = ? WHERE model_id = ? AND state = 'active'`,
      ).run(`replaced by ${input.version}`, modelId);
    const versionId = Number(
      db
        .prepare(
          `INSERT INTO model_versions (model_id, version, state, path, metadata_json, metrics_json, training_run_id,
             parent_version_id, created_by, activated_at, state_reason, files_json)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${input.state === 'active' ? NOW : 'NULL'}, ?, ?)`,
        )
        .run(
          modelId,
          input.version,
          input.state,
          input.path,
          JSON.stringify(slimModelMetadata(input.metadata)),
          JSON.stringify(input.metrics),
          input.trainingRunId ?? null,
          input.parentVersionId ?? null,
          actor,
          input.reason ?? null,
          input.files === undefined ? null : JSON.stringify(input.files),
        ).lastInsertRowid,
    );
    if (input.trainingRunId !== undefined && input.trainingRunId !== null)
      db.prepare('UPDATE training_runs SET version_id = ? WHERE id = ?').run(versionId, input.trainingRunId);
    writeAudit(db, {
      actor,
      action: 'models.register',
      targetKind: 'model-version',
      targetId: versionId,
      detail: { name: input.name, version: input.version, state: input.state, reason: input.reason ?? null },
    });
    return versionId;
  });
  return getModelVersion(db, id);
}

/** The file digests a version was registered with; null for a version registered before they were kept. */
export function modelVersionFiles(db: Database.Database, id: number): BundleDigests | null {
  const json = db.prepare('SELECT files_json FROM model_versions WHERE id = ?').pluck().get(id) as
    string | null | undefined;
  if (json === undefined) throw new OslerError('not-found', `no model version ${id}`);
  return json === null ? null : (JSON.parse(json) as BundleDigests);
}

/** Records the file digests of a version that has none yet (registered before they were kept). */
export function recordModelVersionFiles(db: Database.Database, id: number, files: BundleDigests): void {
  db.prepare('UPDATE model_versions SET files_json = ? WHERE id = ? AND files_json IS NULL').run(
    JSON.stringify(files),
    id,
  );
}

/** One version; `not-found` when absent. */
export function getModelVersion(db: Database.Database, id: number): ModelVersionRow {
  const row = db.prepare(`${VERSION_SELECT} WHERE v.id = ?`).get(id) as VersionDbRow | undefined;
  if (row === undefined) throw new OslerError('not-found', `no model version with id ${id}`);
  return toVersion(row);
}

/** The active version of a named model; `not-found` when the model is unknown or has none. */
export function activeModelVersion(db: Database.Database, name: string): ModelVersionRow {
  const row = db.prepare(`${VERSION_SELECT} WHERE m.name = ? AND v.state = 'active'`).get(name) as
    VersionDbRow | undefined;
  if (row === undefined) {
    const known = db.prepare('SELECT 1 FROM models WHERE name = ?').get(name) !== undefined;
    throw new OslerError('not-found', known ? `model ${name} has no active version` : `no model named ${name}`);
  }
  return toVersion(row);
}

/** Every version, grouped by model name (newest first within a model), optionally for one task. */
export function listModelVersions(db: Database.Database, task?: string): ModelVersionRow[] {
  const rows = (
    task === undefined
      ? db.prepare(`${VERSION_SELECT} ORDER BY m.name, v.id DESC`).all()
      : db.prepare(`${VERSION_SELECT} WHERE m.task = ? ORDER BY m.name, v.id DESC`).all(task)
  ) as VersionDbRow[];
  return rows.map(toVersion);
}

/**
 * Whether any version's row points at `path` (relative to the data folder, as registered): a
 * folder some row names is a registered bundle, whatever else failed around it.
 */
export function hasModelVersionAt(db: Database.Database, path: string): boolean {
  return db.prepare('SELECT 1 FROM model_versions WHERE path = ?').get(path) !== undefined;
}

/** Whether a model has any version with this label. */
export function hasModelVersion(db: Database.Database, name: string, version: string): boolean {
  return (
    db
      .prepare('SELECT 1 FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = ? AND v.version = ?')
      .get(name, version) !== undefined
  );
}

/**
 * Makes `versionId` the active version of its model, retiring the current active one, in one
 * durable transaction with an audit row naming the action (`models.promote` or `models.rollback`)
 * and the reason.
 */
export function activateModelVersion(
  db: Database.Database,
  versionId: number,
  actor: string,
  reason: string,
  action: 'models.promote' | 'models.rollback',
): ModelVersionRow {
  durableTransaction(db, () => {
    const target = getModelVersion(db, versionId);
    if (target.state === 'active')
      throw new OslerError('conflict', `${target.name} ${target.version} is already active`);
    const previous = db
      .prepare(`SELECT id, version FROM model_versions WHERE model_id = ? AND state = 'active'`)
      .get(target.modelId) as { id: number; version: string } | undefined;
    if (previous !== undefined)
      db.prepare(`UPDATE model_versions SET state = 'retired', state_reason = ? WHERE id = ?`).run(
        `${action === 'models.promote' ? 'replaced' : 'rolled back'} by ${target.version}: ${reason}`,
        previous.id,
      );
    db.prepare(`UPDATE model_versions SET state = 'active', activated_at = ${NOW}, state_reason = ? WHERE id = ?`).run(
      reason,
      versionId,
    );
    writeAudit(db, {
      actor,
      action,
      targetKind: 'model-version',
      targetId: versionId,
      detail: { name: target.name, version: target.version, previous: previous?.version ?? null, reason },
    });
  });
  return getModelVersion(db, versionId);
}

/** Retires a candidate without promoting it (audited `models.discard` with the reason). */
export function discardModelVersion(
  db: Database.Database,
  versionId: number,
  actor: string,
  reason: string,
): ModelVersionRow {
  durableTransaction(db, () => {
    const target = getModelVersion(db, versionId);
    if (target.state !== 'candidate')
      throw new OslerError('conflict', `${target.name} ${target.version} is ${target.state}, not a candidate`);
    db.prepare(`UPDATE model_versions SET state = 'retired', state_reason = ? WHERE id = ?`).run(
      `discarded: ${reason}`,
      versionId,
    );
    writeAudit(db, {
      actor,
      action: 'models.discard',
      targetKind: 'model-version',
      targetId: versionId,
      detail: { name: target.name, version: target.version, reason },
    });
  });
  return getModelVersion(db, versionId);
}

/** The version a rollback returns to by default: the most recently active retired version. */
export function previousActiveVersion(db: Database.Database, name: string): ModelVersionRow {
  const row = db
    .prepare(
      `${VERSION_SELECT} WHERE m.name = ? AND v.state = 'retired' AND v.activated_at IS NOT NULL
       ORDER BY v.activated_at DESC, v.id DESC LIMIT 1`,
    )
    .get(name) as VersionDbRow | undefined;
  if (row === undefined)
    throw new OslerError('not-found', `model ${name} has no earlier active version to roll back to`);
  return toVersion(row);
}

interface RunDbRow {
  id: number;
  model_id: number;
  name: string;
  status: TrainingRunRow['status'];
  params_json: string;
  metrics_json: string | null;
  started_at: string;
  finished_at: string | null;
  error: string | null;
  version_id: number | null;
  created_by: string;
}

const RUN_SELECT = `
  SELECT r.id, r.model_id, m.name, r.status, r.params_json, r.metrics_json, r.started_at, r.finished_at, r.error,
         r.version_id, r.created_by
  FROM training_runs r JOIN models m ON m.id = r.model_id`;

function toRun(row: RunDbRow): TrainingRunRow {
  return {
    id: row.id,
    modelId: row.model_id,
    name: row.name,
    status: row.status,
    params: JSON.parse(row.params_json) as Record<string, unknown>,
    metrics: row.metrics_json === null ? null : (JSON.parse(row.metrics_json) as Record<string, unknown>),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    error: row.error,
    versionId: row.version_id,
    createdBy: row.created_by,
  };
}

/** Records the start of a training run (creating the model row for a new model). Audited. */
export function startTrainingRun(
  db: Database.Database,
  input: { name: string; task: string; family: string; params: Record<string, unknown> },
  actor: string,
): TrainingRunRow {
  const id = durableTransaction(db, () => {
    const modelId = ensureModel(db, input.name, input.task, input.family);
    const runId = Number(
      db
        .prepare(`INSERT INTO training_runs (model_id, status, params_json, created_by) VALUES (?, 'running', ?, ?)`)
        .run(modelId, JSON.stringify(input.params), actor).lastInsertRowid,
    );
    writeAudit(db, {
      actor,
      action: 'models.train',
      targetKind: 'training-run',
      targetId: runId,
      detail: { name: input.name, task: input.task },
    });
    return runId;
  });
  return getTrainingRun(db, id);
}

/** Records how a training run ended. Audited. */
export function finishTrainingRun(
  db: Database.Database,
  runId: number,
  outcome: {
    status: 'succeeded' | 'failed' | 'cancelled';
    metrics?: Record<string, unknown> | null;
    error?: string | null;
  },
  actor: string,
): TrainingRunRow {
  durableTransaction(db, () => {
    db.prepare(
      `UPDATE training_runs SET status = ?, metrics_json = ?, error = ?, finished_at = ${NOW} WHERE id = ? AND status = 'running'`,
    ).run(
      outcome.status,
      outcome.metrics === undefined || outcome.metrics === null ? null : JSON.stringify(outcome.metrics),
      outcome.error ?? null,
      runId,
    );
    writeAudit(db, {
      actor,
      action: `models.train.${outcome.status}`,
      targetKind: 'training-run',
      targetId: runId,
      detail: outcome.error === undefined || outcome.error === null ? null : { error: outcome.error.slice(0, 500) },
    });
  });
  return getTrainingRun(db, runId);
}

/** Marks runs left `running` by a crashed process as failed (called at start-up). */
export function failInterruptedRuns(db: Database.Database): number {
  return db
    .prepare(
      `UPDATE training_runs SET status = 'failed', error = 'interrupted: Osler stopped during training', finished_at = ${NOW}
       WHERE status = 'running'`,
    )
    .run().changes;
}

/** How many training runs are recorded as running: live in some process, or interrupted by a crash. */
export function countRunningTrainingRuns(db: Database.Database): number {
  return db.prepare(`SELECT count(*) FROM training_runs WHERE status = 'running'`).pluck().get() as number;
}

/** One training run; `not-found` when absent. */
export function getTrainingRun(db: Database.Database, id: number): TrainingRunRow {
  const row = db.prepare(`${RUN_SELECT} WHERE r.id = ?`).get(id) as RunDbRow | undefined;
  if (row === undefined) throw new OslerError('not-found', `no training run with id ${id}`);
  return toRun(row);
}

/** Training runs, newest first, optionally for one model. */
export function listTrainingRuns(db: Database.Database, name: string | undefined, limit: number): TrainingRunRow[] {
  const rows = (
    name === undefined
      ? db.prepare(`${RUN_SELECT} ORDER BY r.id DESC LIMIT ?`).all(limit)
      : db.prepare(`${RUN_SELECT} WHERE m.name = ? ORDER BY r.id DESC LIMIT ?`).all(name, limit)
  ) as RunDbRow[];
  return rows.map(toRun);
}
