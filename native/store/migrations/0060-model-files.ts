import type { Migration } from '../migrate.js';

/**
 * `model_versions.files_json`: the SHA-256 of each of a version's own bundle files, taken when
 * the version is registered, so a weights or metadata file changed on disk afterwards is refused
 * instead of silently used. Versions registered before this have none until their first use,
 * which records them.
 */
export const migration: Migration = {
  version: 60,
  name: 'model-files',
  up(db) {
    db.exec('ALTER TABLE model_versions ADD COLUMN files_json TEXT;');
  },
};
