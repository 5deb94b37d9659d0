import type { Migration } from '../migrate.js';

/**
 * The case store's first schema: patients, imaging hierarchy, notes with FTS5, vital-sign
 * recordings stored as typed-array chunks, labels, the model registry, predictions and audit.
 */
export const migration: Migration = {
  version: 10,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE patients (
        id            INTEGER PRIMARY KEY,
        patient_key   TEXT NOT NULL UNIQUE,      -- PatientID, or a source-specific key
        name          TEXT,
        birth_date    TEXT,
        sex           TEXT,
        created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );

      CREATE TABLE studies (
        id                  INTEGER PRIMARY KEY,
        patient_id          INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
        study_uid           TEXT NOT NULL UNIQUE,
        study_date          TEXT,
        study_time          TEXT,
        accession_number    TEXT,
        description         TEXT,
        modalities          TEXT,
        created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX studies_patient ON studies(patient_id);

      CREATE TABLE series (
        id                  INTEGER PRIMARY KEY,
        study_id            INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
        series_uid          TEXT NOT NULL UNIQUE,
        modality            TEXT,
        series_number       INTEGER,
        description         TEXT,
        body_part           TEXT,
        rows                INTEGER,
        columns             INTEGER,
        geometry_json       TEXT,                -- orientation, spacing, slice positions summary
        frame_count         INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX series_study ON series(study_id);

      CREATE TABLE instances (
        id                  INTEGER PRIMARY KEY,
        series_id           INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
        sop_instance_uid    TEXT NOT NULL UNIQUE,
        sop_class_uid       TEXT,
        instance_number     INTEGER,
        transfer_syntax_uid TEXT,
        frames              INTEGER NOT NULL DEFAULT 1,
        position_json       TEXT,                -- ImagePositionPatient (mm, LPS)
        slice_location      REAL,
        path                TEXT NOT NULL,       -- managed file, relative to the data folder
        size_bytes          INTEGER NOT NULL,
        sha256              TEXT NOT NULL,
        imported_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX instances_series ON instances(series_id);

      CREATE TABLE notes (
        id          INTEGER PRIMARY KEY,
        patient_id  INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        source_key  TEXT,                        -- id in the source file, for de-duplication
        source      TEXT NOT NULL,               -- file the note came from
        kind        TEXT,
        author      TEXT,
        note_date   TEXT,
        language    TEXT,
        text        TEXT NOT NULL,
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (source, source_key)
      );
      CREATE INDEX notes_patient ON notes(patient_id);

      CREATE VIRTUAL TABLE notes_fts USING fts5(
        text, content='notes', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
        INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      CREATE TRIGGER notes_au AFTER UPDATE OF text ON notes BEGIN
        INSERT INTO notes_fts(notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
        INSERT INTO notes_fts(rowid, text) VALUES (new.id, new.text);
      END;

      CREATE TABLE recordings (
        id              INTEGER PRIMARY KEY,
        patient_id      INTEGER REFERENCES patients(id) ON DELETE CASCADE,
        source          TEXT NOT NULL,
        source_key      TEXT,
        start_time      TEXT,                    -- ISO 8601, when known
        duration_s      REAL,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (source, source_key)
      );
      CREATE INDEX recordings_patient ON recordings(patient_id);

      CREATE TABLE signals (
        id              INTEGER PRIMARY KEY,
        recording_id    INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
        name            TEXT NOT NULL,           -- HR, ABPmean, SpO2, ECG II, ...
        unit            TEXT,
        sampling_hz     REAL,                    -- NULL for irregular series (times stored per sample)
        sample_count    INTEGER NOT NULL DEFAULT 0,
        UNIQUE (recording_id, name)
      );

      -- Samples stored as typed-array blobs per chunk: values Float32 little-endian, and for
      -- irregular signals times as Float64 milliseconds from the recording start.
      CREATE TABLE signal_chunks (
        signal_id       INTEGER NOT NULL REFERENCES signals(id) ON DELETE CASCADE,
        chunk_index     INTEGER NOT NULL,
        first_sample    INTEGER NOT NULL,
        sample_count    INTEGER NOT NULL,
        values_f32      BLOB NOT NULL,
        times_ms_f64    BLOB,
        PRIMARY KEY (signal_id, chunk_index)
      ) WITHOUT ROWID;

      CREATE TABLE annotations (
        id              INTEGER PRIMARY KEY,
        target_kind     TEXT NOT NULL CHECK (target_kind IN ('instance','series','study','note','recording')),
        target_id       INTEGER NOT NULL,
        kind            TEXT NOT NULL,           -- beat, event, length, ellipse, rectangle, angle, probe
        data_json       TEXT NOT NULL,
        author          TEXT,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX annotations_target ON annotations(target_kind, target_id);

      CREATE TABLE labels (
        id              INTEGER PRIMARY KEY,
        target_kind     TEXT NOT NULL CHECK (target_kind IN ('instance','series','study','note','recording')),
        target_id       INTEGER NOT NULL,
        window_start_ms REAL,                    -- for recording windows
        window_end_ms   REAL,
        task            TEXT NOT NULL,
        value           TEXT NOT NULL,
        source          TEXT NOT NULL CHECK (source IN ('human','imported','model-accepted')),
        author          TEXT,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        supersedes      INTEGER REFERENCES labels(id)
      );
      CREATE INDEX labels_target ON labels(target_kind, target_id, task);

      CREATE TABLE models (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        task            TEXT NOT NULL,
        family          TEXT NOT NULL,           -- image, text, vitals
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );

      CREATE TABLE model_versions (
        id              INTEGER PRIMARY KEY,
        model_id        INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version         TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('active','candidate','retired')),
        path            TEXT NOT NULL,           -- weights folder, relative to the data folder
        metadata_json   TEXT NOT NULL,
        metrics_json    TEXT,
        training_run_id INTEGER,
        created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (model_id, version)
      );
      CREATE UNIQUE INDEX model_versions_one_active ON model_versions(model_id) WHERE state = 'active';

      CREATE TABLE training_runs (
        id              INTEGER PRIMARY KEY,
        model_id        INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        status          TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')),
        params_json     TEXT NOT NULL,
        metrics_json    TEXT,
        started_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        finished_at     TEXT,
        error           TEXT
      );

      CREATE TABLE predictions (
        id                  INTEGER PRIMARY KEY,
        model_version_id    INTEGER NOT NULL REFERENCES model_versions(id),
        target_kind         TEXT NOT NULL CHECK (target_kind IN ('instance','series','study','note','recording')),
        target_id           INTEGER NOT NULL,
        output_json         TEXT NOT NULL,
        score               REAL,                -- priority used by the worklist
        created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX predictions_target ON predictions(target_kind, target_id);

      CREATE TABLE audit (
        id          INTEGER PRIMARY KEY,
        at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        target_kind TEXT,
        target_id   INTEGER,
        detail_json TEXT
      );
      CREATE INDEX audit_at ON audit(at);
    `);
  },
};
