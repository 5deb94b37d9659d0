import type { Migration } from '../migrate.js';

/**
 * What the model registry needs beyond 0010: who created a version and from which parent, when it
 * was last activated (rollback goes back to the most recently active version, never to a discarded
 * candidate) and why its state last changed; training runs record the version they produced.
 */
export const migration: Migration = {
  version: 40,
  name: 'model-registry',
  up(db) {
    db.exec(`
      ALTER TABLE model_versions ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';
      ALTER TABLE model_versions ADD COLUMN parent_version_id INTEGER REFERENCES model_versions(id);
      ALTER TABLE model_versions ADD COLUMN activated_at TEXT;
      ALTER TABLE model_versions ADD COLUMN state_reason TEXT;
      ALTER TABLE training_runs ADD COLUMN version_id INTEGER REFERENCES model_versions(id);
      ALTER TABLE training_runs ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';
      CREATE INDEX predictions_version ON predictions(model_version_id);
      CREATE INDEX training_runs_model ON training_runs(model_id, id);
    `);
  },
};
