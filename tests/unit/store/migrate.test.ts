import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OslerError } from '../../../native/contract/result.js';
import { openStore } from '../../../native/store/database.js';
import { migrate, schemaVersion, type Migration } from '../../../native/store/migrate.js';
import { MIGRATIONS } from '../../../native/store/migrations/index.js';
import { STUDY_DATE_SQL } from '../../../native/store/migrations/0030-worklist-audit.js';
import { tempDir } from '../helpers.js';

const upTo = (v: number) => MIGRATIONS.filter((m) => m.version <= v);
const NEWEST = MIGRATIONS.at(-1)!.version;
const tables = (db: Database.Database) =>
  db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','index') ORDER BY name").pluck().all() as string[];
const columns = (db: Database.Database, table: string) =>
  db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('migrations', () => {
  it('are numbered in steps of 10 and unique', () => {
    MIGRATIONS.forEach((m, i) => expect(m.version).toBe((i + 1) * 10));
  });

  it('0010 creates the initial schema with FTS5', () => {
    const db = new Database(':memory:');
    migrate(db, upTo(10));
    expect(schemaVersion(db)).toBe(10);
    for (const t of [
      'patients',
      'studies',
      'series',
      'instances',
      'notes',
      'notes_fts',
      'recordings',
      'signals',
      'signal_chunks',
      'labels',
      'predictions',
      'audit',
    ])
      expect(tables(db)).toContain(t);
    db.prepare("INSERT INTO notes (source, source_key, text) VALUES ('s', '1', 'chest pain radiating')").run();
    expect(db.prepare("SELECT rowid FROM notes_fts WHERE notes_fts MATCH 'radiate'").pluck().get()).toBe(1);
  });

  it('0020 upgrades a version-10 store in place, keeping its rows', () => {
    const dir = tempDir();
    cleanup = dir.cleanup;
    const file = join(dir.path, 's.sqlite');
    const old = new Database(file);
    migrate(old, upTo(10));
    old.prepare("INSERT INTO notes (source, source_key, text) VALUES ('s', '1', 'old note')").run();
    old.prepare("INSERT INTO recordings (source, source_key) VALUES ('r', '1')").run();
    old.close();
    const store = openStore(file);
    try {
      expect(store.version).toBe(NEWEST);
      expect(columns(store.db, 'notes')).toContain('title');
      expect(columns(store.db, 'recordings')).toEqual(expect.arrayContaining(['kind', 'metadata_json']));
      expect(columns(store.db, 'signals')).toContain('first_time_ms');
      expect(tables(store.db)).toEqual(
        expect.arrayContaining(['recording_annotations', 'labels_supersedes', 'audit_target']),
      );
      expect(store.db.prepare('SELECT text FROM notes').pluck().get()).toBe('old note');
    } finally {
      store.close();
    }
  });

  it('0030 backfills label state and priorities from existing rows and makes the audit log append-only', () => {
    const db = new Database(':memory:');
    migrate(db, upTo(20));
    db.exec(`
      INSERT INTO notes (source, source_key, text) VALUES ('s', '1', 'a'), ('s', '2', 'b');
      INSERT INTO labels (target_kind, target_id, task, value, source) VALUES
        ('note', 1, 't', 'x', 'human'), ('note', 1, 't', 'y', 'human'), ('note', 2, 't', 'x', 'human');
      INSERT INTO models (name, task, family) VALUES ('m', 't', 'text');
      INSERT INTO model_versions (model_id, version, state, path, metadata_json) VALUES (1, '1', 'active', 'p', '{}');
      INSERT INTO predictions (model_version_id, target_kind, target_id, output_json, score) VALUES
        (1, 'note', 1, '{}', 0.2), (1, 'note', 1, '{}', 0.7), (1, 'note', 2, '{}', NULL);
      INSERT INTO audit (actor, action) VALUES ('a', 'x.y');
    `);
    migrate(db, upTo(30));
    expect(schemaVersion(db)).toBe(30);
    expect(db.prepare('SELECT target_id, task, disputed FROM label_state ORDER BY target_id').all()).toEqual([
      { target_id: 1, task: 't', disputed: 1 },
      { target_id: 2, task: 't', disputed: 0 },
    ]);
    expect(db.prepare('SELECT target_id, score FROM target_priority').all()).toEqual([{ target_id: 1, score: 0.7 }]);
    // Triggers keep both current: a label settling the dispute, a higher and a deleted prediction.
    db.prepare(
      "INSERT INTO labels (target_kind, target_id, task, value, source, supersedes) VALUES ('note', 1, 't', 'x', 'human', 2)",
    ).run();
    db.prepare(
      "INSERT INTO labels (target_kind, target_id, task, value, source, supersedes) VALUES ('note', 1, 't', 'x', 'human', 1)",
    ).run();
    expect(db.prepare('SELECT disputed FROM label_state WHERE target_id = 1').pluck().get()).toBe(0);
    db.prepare(
      "INSERT INTO predictions (model_version_id, target_kind, target_id, output_json, score) VALUES (1, 'note', 2, '{}', 0.9)",
    ).run();
    expect(db.prepare('SELECT score FROM target_priority WHERE target_id = 2').pluck().get()).toBe(0.9);
    db.prepare('DELETE FROM predictions WHERE score = 0.7').run();
    expect(db.prepare('SELECT score FROM target_priority WHERE target_id = 1').pluck().get()).toBe(0.2);
    expect(() => db.prepare("UPDATE audit SET actor = 'b'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    db.prepare("INSERT INTO audit (actor, action) VALUES ('a', 'x.z')").run();
    expect(db.prepare('SELECT count(*) FROM audit').pluck().get()).toBe(2);
    // The worklist's study order walks the date expression index instead of sorting.
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT id FROM studies t ORDER BY ${STUDY_DATE_SQL.replace(/study_date/g, 't.study_date')} DESC, t.id DESC LIMIT 5`,
      )
      .all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/USING (COVERING )?INDEX studies_date/);
    expect(plan.map((p) => p.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('refuses a store written by a newer Osler', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 990');
    expect(() => migrate(db, MIGRATIONS)).toThrow(OslerError);
    expect(() => migrate(db, MIGRATIONS)).toThrow(
      new RegExp(`schema version 990, newer than this Osler understands \\(${NEWEST}\\)`),
    );
  });

  it('applies all pending migrations in one transaction: a failing step leaves nothing behind', () => {
    const db = new Database(':memory:');
    const broken: Migration = {
      version: NEWEST + 10,
      name: 'broken',
      up: (d) => d.exec('CREATE TABLE x (a); SELECT nonsense FROM nowhere;'),
    };
    expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow();
    expect(schemaVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
  });

  it('is a no-op on an up-to-date store', () => {
    const db = new Database(':memory:');
    expect(migrate(db, MIGRATIONS)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db, MIGRATIONS)).toEqual([]);
  });
});
