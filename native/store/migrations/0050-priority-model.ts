import type { Migration } from '../migrate.js';

/**
 * The model version behind each target's priority: `target_priority.model_version_id`, so the
 * worklist can name the model that made a row's score in the same read instead of asking for the
 * target's predictions row by row (a round trip and an audit row each).
 *
 * The priority is the highest score of the target's predictions; among predictions with that
 * score the latest (highest prediction id) wins, so backfill, insert, delete and update all agree
 * on one row whatever order the rows were written in. The column carries no foreign key: the
 * prediction it comes from already references the version (and holds it), and a key here would
 * make every model-version delete scan this table.
 *
 * The three triggers of 0030 are replaced: insert replaces the kept row only when the new score is
 * higher (or equal and the new prediction is the latest of that score); delete and update
 * recompute the affected targets from their predictions, now also when a prediction's model
 * version changes.
 */
export const migration: Migration = {
  version: 50,
  name: 'priority-model',
  up(db) {
    db.exec(`
      ALTER TABLE target_priority ADD COLUMN model_version_id INTEGER;
      UPDATE target_priority SET model_version_id = (
        SELECT p.model_version_id FROM predictions p
        WHERE p.target_kind = target_priority.target_kind AND p.target_id = target_priority.target_id
          AND p.score IS NOT NULL
        ORDER BY p.score DESC, p.id DESC LIMIT 1);

      DROP TRIGGER predictions_priority_ai;
      DROP TRIGGER predictions_priority_ad;
      DROP TRIGGER predictions_priority_au;

      CREATE TRIGGER predictions_priority_ai AFTER INSERT ON predictions WHEN new.score IS NOT NULL BEGIN
        INSERT INTO target_priority (target_kind, target_id, score, model_version_id)
          VALUES (new.target_kind, new.target_id, new.score, new.model_version_id)
          ON CONFLICT (target_kind, target_id) DO UPDATE
            SET score = excluded.score, model_version_id = excluded.model_version_id
            WHERE excluded.score > target_priority.score
              -- A tie goes to the latest prediction: the new one, unless a row was written with
              -- an explicit higher id.
              OR (excluded.score = target_priority.score AND NOT EXISTS (
                SELECT 1 FROM predictions p WHERE p.target_kind = new.target_kind
                  AND p.target_id = new.target_id AND p.score = new.score AND p.id > new.id));
      END;
      CREATE TRIGGER predictions_priority_ad AFTER DELETE ON predictions BEGIN
        DELETE FROM target_priority WHERE target_kind = old.target_kind AND target_id = old.target_id;
        INSERT INTO target_priority (target_kind, target_id, score, model_version_id)
          SELECT target_kind, target_id, score, model_version_id FROM predictions
          WHERE target_kind = old.target_kind AND target_id = old.target_id AND score IS NOT NULL
          ORDER BY score DESC, id DESC LIMIT 1;
      END;
      CREATE TRIGGER predictions_priority_au
        AFTER UPDATE OF score, target_kind, target_id, model_version_id ON predictions BEGIN
        DELETE FROM target_priority WHERE (target_kind = old.target_kind AND target_id = old.target_id)
          OR (target_kind = new.target_kind AND target_id = new.target_id);
        INSERT INTO target_priority (target_kind, target_id, score, model_version_id)
          SELECT target_kind, target_id, score, model_version_id FROM predictions
          WHERE target_kind = old.target_kind AND target_id = old.target_id AND score IS NOT NULL
          ORDER BY score DESC, id DESC LIMIT 1;
        INSERT INTO target_priority (target_kind, target_id, score, model_version_id)
          SELECT target_kind, target_id, score, model_version_id FROM predictions
          WHERE target_kind = new.target_kind AND target_id = new.target_id AND score IS NOT NULL
            AND NOT (new.target_kind = old.target_kind AND new.target_id = old.target_id)
          ORDER BY score DESC, id DESC LIMIT 1;
      END;
    `);
  },
};
