import type { Migration } from '../migrate.js';

/**
 * What the importers and queries of the case store need beyond 0010: note titles, recording
 * kind and header metadata, per-sample recording annotations (beat labels can number in the
 * thousands per record and are read by time window, which the generic JSON `annotations` table
 * cannot index), and the indexes behind label heads, label state and the audit log.
 */
export const migration: Migration = {
  version: 20,
  name: 'case-store',
  up(db) {
    db.exec(`
      ALTER TABLE notes ADD COLUMN title TEXT;

      ALTER TABLE recordings ADD COLUMN kind TEXT;             -- wfdb, physionet2012, csv
      ALTER TABLE recordings ADD COLUMN metadata_json TEXT;    -- header comments, descriptors

      ALTER TABLE signals ADD COLUMN first_time_ms REAL;       -- time of sample 0 from the recording start

      CREATE TABLE recording_annotations (
        id              INTEGER PRIMARY KEY,
        recording_id    INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
        source          TEXT NOT NULL,           -- annotator: atr, qrs, sqrs, ...
        sample          INTEGER NOT NULL,        -- frame number
        t_ms            REAL NOT NULL,
        code            INTEGER NOT NULL,        -- WFDB annotation code
        symbol          TEXT NOT NULL,           -- N, V, A, +, ...
        sub             INTEGER NOT NULL DEFAULT 0,
        chan            INTEGER NOT NULL DEFAULT 0,
        num             INTEGER NOT NULL DEFAULT 0,
        aux             TEXT
      );
      CREATE INDEX recording_annotations_time ON recording_annotations(recording_id, t_ms);

      CREATE INDEX labels_supersedes ON labels(supersedes) WHERE supersedes IS NOT NULL;
      CREATE INDEX labels_task ON labels(task, target_kind);
      CREATE INDEX audit_target ON audit(target_kind, target_id);
      CREATE INDEX predictions_score ON predictions(target_kind, score);
      CREATE INDEX notes_date ON notes(note_date);
      CREATE INDEX recordings_start ON recordings(start_time);
    `);
  },
};
