import type { Migration } from '../migrate.js';

/** The worklist's study date (DICOM `YYYYMMDD` as ISO), as one expression the index and queries share. */
export const STUDY_DATE_SQL = `(CASE WHEN study_date GLOB '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'
  THEN substr(study_date,1,4)||'-'||substr(study_date,5,2)||'-'||substr(study_date,7,2) ELSE study_date END)`;

/**
 * What 100,000-row worklists and a trustworthy audit log need beyond 0020:
 * - an index on the studies' ISO date expression, so the worklist reads studies newest first
 *   instead of sorting every study per page;
 * - `target_priority`: the highest model score per target, kept by triggers on `predictions`, so
 *   the priority order is an index walk instead of a max() over all predictions per item;
 * - `label_state`: per target and task, whether current labels disagree, kept by a trigger on
 *   `labels` (insert-only), so "disputed" is an index lookup and "unlabelled" can be answered
 *   without probing every item when every item is labelled;
 * - `pending_files`: managed files an import is about to write, recorded before the write and
 *   cleared in the transaction that commits their rows, so the next start can remove what a
 *   crashed import left behind (and nothing else);
 * - the audit table made append-only: triggers refuse UPDATE and DELETE.
 */
export const migration: Migration = {
  version: 30,
  name: 'worklist-audit',
  up(db) {
    db.exec(`
      CREATE INDEX studies_date ON studies(${STUDY_DATE_SQL}, id);

      CREATE TABLE target_priority (
        target_kind TEXT NOT NULL,
        target_id   INTEGER NOT NULL,
        score       REAL NOT NULL,
        PRIMARY KEY (target_kind, target_id)
      ) WITHOUT ROWID;
      CREATE INDEX target_priority_score ON target_priority(target_kind, score, target_id);
      INSERT INTO target_priority (target_kind, target_id, score)
        SELECT target_kind, target_id, max(score) FROM predictions WHERE score IS NOT NULL
        GROUP BY target_kind, target_id;
      CREATE TRIGGER predictions_priority_ai AFTER INSERT ON predictions WHEN new.score IS NOT NULL BEGIN
        INSERT INTO target_priority (target_kind, target_id, score) VALUES (new.target_kind, new.target_id, new.score)
          ON CONFLICT (target_kind, target_id) DO UPDATE SET score = max(score, excluded.score);
      END;
      CREATE TRIGGER predictions_priority_ad AFTER DELETE ON predictions BEGIN
        DELETE FROM target_priority WHERE target_kind = old.target_kind AND target_id = old.target_id;
        INSERT INTO target_priority (target_kind, target_id, score)
          SELECT target_kind, target_id, max(score) FROM predictions
          WHERE target_kind = old.target_kind AND target_id = old.target_id AND score IS NOT NULL
          GROUP BY target_kind, target_id;
      END;
      CREATE TRIGGER predictions_priority_au AFTER UPDATE OF score, target_kind, target_id ON predictions BEGIN
        DELETE FROM target_priority WHERE (target_kind = old.target_kind AND target_id = old.target_id)
          OR (target_kind = new.target_kind AND target_id = new.target_id);
        INSERT INTO target_priority (target_kind, target_id, score)
          SELECT target_kind, target_id, max(score) FROM predictions
          WHERE ((target_kind = old.target_kind AND target_id = old.target_id)
              OR (target_kind = new.target_kind AND target_id = new.target_id)) AND score IS NOT NULL
          GROUP BY target_kind, target_id;
      END;

      CREATE TABLE label_state (
        target_kind TEXT NOT NULL,
        target_id   INTEGER NOT NULL,
        task        TEXT NOT NULL,
        disputed    INTEGER NOT NULL,            -- 1 when current labels of a window disagree
        PRIMARY KEY (target_kind, target_id, task)
      ) WITHOUT ROWID;
      CREATE INDEX label_state_task ON label_state(target_kind, task);
      CREATE INDEX label_state_disputed ON label_state(target_kind, target_id) WHERE disputed = 1;
      INSERT INTO label_state (target_kind, target_id, task, disputed)
        SELECT target_kind, target_id, task, max(c) > 1 FROM (
          SELECT l.target_kind, l.target_id, l.task, count(DISTINCT l.value) AS c FROM labels l
          WHERE NOT EXISTS (SELECT 1 FROM labels x WHERE x.supersedes = l.id)
          GROUP BY l.target_kind, l.target_id, l.task, l.window_start_ms, l.window_end_ms)
        GROUP BY target_kind, target_id, task;
      CREATE TRIGGER labels_state_ai AFTER INSERT ON labels BEGIN
        INSERT INTO label_state (target_kind, target_id, task, disputed)
          VALUES (new.target_kind, new.target_id, new.task, CASE
            -- The first label of a task (every row of a bulk import) cannot disagree with anything.
            WHEN NOT EXISTS (SELECT 1 FROM labels l WHERE l.target_kind = new.target_kind
              AND l.target_id = new.target_id AND l.task = new.task AND l.id <> new.id) THEN 0
            ELSE (SELECT coalesce(max(c), 0) > 1 FROM (
              SELECT count(DISTINCT l.value) AS c FROM labels l
              WHERE l.target_kind = new.target_kind AND l.target_id = new.target_id AND l.task = new.task
                AND NOT EXISTS (SELECT 1 FROM labels x WHERE x.supersedes = l.id)
              GROUP BY l.window_start_ms, l.window_end_ms)) END)
          ON CONFLICT (target_kind, target_id, task) DO UPDATE SET disputed = excluded.disputed;
      END;
      CREATE TRIGGER notes_label_state_ad AFTER DELETE ON notes BEGIN
        DELETE FROM label_state WHERE target_kind = 'note' AND target_id = old.id;
      END;
      CREATE TRIGGER studies_label_state_ad AFTER DELETE ON studies BEGIN
        DELETE FROM label_state WHERE target_kind = 'study' AND target_id = old.id;
      END;
      CREATE TRIGGER recordings_label_state_ad AFTER DELETE ON recordings BEGIN
        DELETE FROM label_state WHERE target_kind = 'recording' AND target_id = old.id;
      END;

      CREATE TABLE pending_files (
        id          INTEGER PRIMARY KEY,
        path        TEXT NOT NULL,               -- managed path, relative to the data folder
        pid         INTEGER NOT NULL,            -- process that is writing it
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX pending_files_path ON pending_files(path);

      CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
      END;
      CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
      END;
    `);
  },
};
