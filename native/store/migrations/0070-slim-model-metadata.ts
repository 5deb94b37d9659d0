import type { Migration } from '../migrate.js';
import { slimModelMetadata } from '../models.js';

/**
 * Registered versions keep slim metadata (see slimModelMetadata): rows written before carry a text
 * model's whole vocabulary and feature weights, which every registry read parsed.
 */
export const migration: Migration = {
  version: 70,
  name: 'slim-model-metadata',
  up(db) {
    const rows = db.prepare('SELECT id, metadata_json FROM model_versions').all() as {
      id: number;
      metadata_json: string;
    }[];
    const update = db.prepare('UPDATE model_versions SET metadata_json = ? WHERE id = ?');
    for (const row of rows) {
      const slim = JSON.stringify(slimModelMetadata(JSON.parse(row.metadata_json) as Record<string, unknown>));
      if (slim.length < row.metadata_json.length) update.run(slim, row.id);
    }
  },
};
