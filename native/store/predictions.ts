import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { writeAudit } from './audit.js';
import type { LabelTargetKind } from './labels.js';

/** A model output to record. */
export interface PredictionInput {
  readonly modelVersionId: number;
  readonly targetKind: LabelTargetKind;
  readonly targetId: number;
  /** The model's output (class probabilities, boxes, ...), JSON-serialisable. */
  readonly output: unknown;
  /** Priority the worklist sorts by (for example the probability of the finding), or null. */
  readonly score: number | null;
}

/** A stored prediction. */
export interface Prediction {
  readonly id: number;
  readonly modelVersionId: number;
  readonly targetKind: LabelTargetKind;
  readonly targetId: number;
  readonly output: unknown;
  readonly score: number | null;
  readonly createdAt: string;
}

/**
 * Records predictions with one audit row each, in one transaction (batch inference writes many
 * at once). An unknown model version is refused.
 */
export function addPredictions(db: Database.Database, inputs: readonly PredictionInput[], actor: string): number[] {
  const insert = db.prepare(
    'INSERT INTO predictions (model_version_id, target_kind, target_id, output_json, score) VALUES (?, ?, ?, ?, ?)',
  );
  const versionExists = db.prepare('SELECT 1 FROM model_versions WHERE id = ?');
  return db
    .transaction(() =>
      inputs.map((p) => {
        if (versionExists.get(p.modelVersionId) === undefined)
          throw new OslerError('not-found', `no model version with id ${p.modelVersionId}`);
        const id = Number(
          insert.run(p.modelVersionId, p.targetKind, p.targetId, JSON.stringify(p.output), p.score).lastInsertRowid,
        );
        writeAudit(db, {
          actor,
          action: 'predictions.add',
          targetKind: p.targetKind,
          targetId: p.targetId,
          detail: { prediction: id, modelVersion: p.modelVersionId, score: p.score },
        });
        return id;
      }),
    )
    .immediate();
}

/** Predictions for one target, newest first. */
export function listPredictions(db: Database.Database, targetKind: LabelTargetKind, targetId: number): Prediction[] {
  const rows = db
    .prepare(
      `SELECT id, model_version_id, target_kind, target_id, output_json, score, created_at FROM predictions
       WHERE target_kind = ? AND target_id = ? ORDER BY id DESC`,
    )
    .all(targetKind, targetId) as Array<{
    id: number;
    model_version_id: number;
    target_kind: LabelTargetKind;
    target_id: number;
    output_json: string;
    score: number | null;
    created_at: string;
  }>;
  return rows.map((r) => ({
    id: r.id,
    modelVersionId: r.model_version_id,
    targetKind: r.target_kind,
    targetId: r.target_id,
    output: JSON.parse(r.output_json) as unknown,
    score: r.score,
    createdAt: r.created_at,
  }));
}
