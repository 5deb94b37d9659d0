import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OslerError } from '../../../native/contract/result.js';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { migrate, schemaVersion } from '../../../native/store/migrate.js';
import { MIGRATIONS } from '../../../native/store/migrations/index.js';
import {
  activateModelVersion,
  activeModelVersion,
  addModelVersion,
  discardModelVersion,
  failInterruptedRuns,
  finishTrainingRun,
  listModelVersions,
  listTrainingRuns,
  modelVersionFiles,
  previousActiveVersion,
  recordModelVersionFiles,
  startTrainingRun,
} from '../../../native/store/models.js';
import { tempDir } from '../helpers.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function store(): StoreHandle {
  const dir = tempDir();
  const handle = openStore(join(dir.path, 'osler.db'));
  cleanup = () => {
    handle.close();
    dir.cleanup();
  };
  return handle;
}

const version = (v: string, state: 'active' | 'candidate' = 'candidate') => ({
  name: 'abstract-condition',
  task: 'text',
  family: 'text-bilstm',
  version: v,
  state,
  path: `models/abstract-condition/${v}`,
  metadata: { version: v },
  metrics: { accuracy: 0.5 },
});

const upTo = (v: number) => MIGRATIONS.filter((m) => m.version <= v);

const audits = (db: Database.Database, action: string) =>
  db.prepare('SELECT COUNT(*) FROM audit WHERE action = ?').pluck().get(action) as number;

describe('migration 0040 (model registry)', () => {
  it('adds provenance and activation columns to model versions and links runs to versions', () => {
    const db = new Database(':memory:');
    migrate(db, upTo(40));
    expect(schemaVersion(db)).toBe(40);
    const cols = (t: string) => db.prepare(`SELECT name FROM pragma_table_info('${t}')`).pluck().all();
    expect(cols('model_versions')).toEqual(
      expect.arrayContaining(['created_by', 'parent_version_id', 'activated_at', 'state_reason']),
    );
    expect(cols('training_runs')).toEqual(expect.arrayContaining(['version_id', 'created_by']));
  });
});

describe('migration 0060 (model files)', () => {
  it('adds file digests to model versions: none for versions registered before, kept for new ones, recorded once', () => {
    const db = new Database(':memory:');
    migrate(db, upTo(50));
    const old = addModelVersionBefore60(db);
    migrate(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(60);
    expect(modelVersionFiles(db, old)).toBeNull();
    recordModelVersionFiles(db, old, { 'model.json': 'a' });
    recordModelVersionFiles(db, old, { 'model.json': 'b' });
    expect(modelVersionFiles(db, old)).toEqual({ 'model.json': 'a' });
    const added = addModelVersion(db, { ...version('2.0.0'), files: { 'weights.bin': 'c' } }, 'tester');
    expect(modelVersionFiles(db, added.id)).toEqual({ 'weights.bin': 'c' });
    expect(() => modelVersionFiles(db, 999)).toThrow(OslerError);
    db.close();
  });
});

describe('migration 0070 (slim model metadata)', () => {
  it("rewrites stored versions' metadata without the vocabulary and feature weights, and leaves others alone", () => {
    const db = new Database(':memory:');
    migrate(db, upTo(60));
    const text = addModelVersionBefore60(db);
    const full = {
      title: 'T',
      input: { kind: 'text', vocabulary: ['<pad>', 'a', 'b'] },
      spec: { featureWeights: [1] },
    };
    db.prepare('UPDATE model_versions SET metadata_json = ? WHERE id = ?').run(JSON.stringify(full), text);
    migrate(db, MIGRATIONS);
    expect(schemaVersion(db)).toBeGreaterThanOrEqual(70);
    expect(
      JSON.parse(db.prepare('SELECT metadata_json FROM model_versions WHERE id = ?').pluck().get(text) as string),
    ).toEqual({
      title: 'T',
      input: { kind: 'text', vocabularySize: 3 },
      spec: { featureWeightCount: 1 },
    });
    db.close();
  });
});

/** A version row as a 0050 schema holds it (no files column yet). */
function addModelVersionBefore60(db: Database.Database): number {
  const model = Number(
    db.prepare("INSERT INTO models (name, task, family) VALUES ('m', 'text', 'text-bag')").run().lastInsertRowid,
  );
  return Number(
    db
      .prepare(
        "INSERT INTO model_versions (model_id, version, state, path, metadata_json, created_by) VALUES (?, '1', 'active', 'models/m/1', '{}', 'tester')",
      )
      .run(model).lastInsertRowid,
  );
}

describe('model registry repository', () => {
  it('lists versions without a text vocabulary or feature weights in their metadata', () => {
    const { db } = store();
    const metadata = {
      title: 'T',
      input: { kind: 'text', vocabulary: ['<pad>', 'a'] },
      spec: { featureWeights: [1, 2] },
    };
    addModelVersion(db, { ...version('3.0.0'), metadata }, 'tester');
    // Stored slim (the bundle on disk keeps them): their sizes instead.
    const stored = db.prepare('SELECT metadata_json FROM model_versions').pluck().get() as string;
    expect(stored).not.toMatch(/vocabulary"|featureWeights/);
    expect(listModelVersions(db)[0]!.metadata).toEqual({
      title: 'T',
      input: { kind: 'text', vocabularySize: 2 },
      spec: { featureWeightCount: 2 },
    });
  });

  it('keeps one active version, promotes, discards and rolls back with audit rows', () => {
    const { db } = store();
    const v1 = addModelVersion(db, version('1.0.0', 'active'), 'tester');
    expect(activeModelVersion(db, 'abstract-condition').id).toBe(v1.id);
    const v2 = addModelVersion(db, version('1.1.0'), 'tester');
    const v3 = addModelVersion(db, version('1.2.0'), 'tester');
    expect(v2.state).toBe('candidate');

    activateModelVersion(db, v2.id, 'tester', 'better macro-F1', 'models.promote');
    expect(activeModelVersion(db, 'abstract-condition').version).toBe('1.1.0');
    expect(listModelVersions(db).find((v) => v.id === v1.id)?.state).toBe('retired');

    discardModelVersion(db, v3.id, 'tester', 'worse on held-out cases');
    // Rollback goes to the most recently active version, never to the discarded candidate.
    expect(previousActiveVersion(db, 'abstract-condition').id).toBe(v1.id);
    activateModelVersion(db, v1.id, 'tester', 'site complaint', 'models.rollback');
    expect(activeModelVersion(db, 'abstract-condition').id).toBe(v1.id);

    expect(audits(db, 'models.register')).toBe(3);
    expect(audits(db, 'models.promote')).toBe(1);
    expect(audits(db, 'models.discard')).toBe(1);
    expect(audits(db, 'models.rollback')).toBe(1);
    expect(db.prepare(`SELECT COUNT(*) FROM model_versions WHERE state = 'active'`).pluck().get()).toBe(1);
  });

  it('refuses duplicate versions, task mismatches, double activation and discarding a non-candidate', () => {
    const { db } = store();
    const v1 = addModelVersion(db, version('1.0.0', 'active'), 'tester');
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof OslerError ? e.code : 'other';
      }
      return 'none';
    };
    expect(code(() => addModelVersion(db, version('1.0.0'), 'tester'))).toBe('conflict');
    expect(code(() => addModelVersion(db, { ...version('2.0.0'), task: 'image' }, 'tester'))).toBe('conflict');
    expect(code(() => activateModelVersion(db, v1.id, 'tester', 'again', 'models.promote'))).toBe('conflict');
    expect(code(() => discardModelVersion(db, v1.id, 'tester', 'no'))).toBe('conflict');
    expect(code(() => activeModelVersion(db, 'nope'))).toBe('not-found');
    expect(code(() => previousActiveVersion(db, 'abstract-condition'))).toBe('not-found');
  });

  it('records training runs, links the version they produced, and fails runs a crash interrupted', () => {
    const { db } = store();
    const run = startTrainingRun(
      db,
      { name: 'abstract-condition', task: 'text', family: 'text-bilstm', params: { epochs: 3 } },
      'tester',
    );
    expect(run.status).toBe('running');
    const v = addModelVersion(db, { ...version('1.0.0'), trainingRunId: run.id }, 'tester');
    const done = finishTrainingRun(db, run.id, { status: 'succeeded', metrics: { macroF1: 0.6 } }, 'tester');
    expect(done).toMatchObject({ status: 'succeeded', versionId: v.id, metrics: { macroF1: 0.6 } });
    const crashed = startTrainingRun(
      db,
      { name: 'abstract-condition', task: 'text', family: 'text-bilstm', params: {} },
      'tester',
    );
    expect(failInterruptedRuns(db)).toBe(1);
    expect(listTrainingRuns(db, 'abstract-condition', 10).find((r) => r.id === crashed.id)?.status).toBe('failed');
    expect(audits(db, 'models.train')).toBe(2);
  });
});
