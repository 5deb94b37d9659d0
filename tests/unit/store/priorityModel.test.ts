import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../../native/store/database.js';
import { migrate, schemaVersion } from '../../../native/store/migrate.js';
import { MIGRATIONS } from '../../../native/store/migrations/index.js';
import { upsertNote } from '../../../native/store/notes.js';
import { ensurePatient } from '../../../native/store/patients.js';
import { addPredictions } from '../../../native/store/predictions.js';
import { listWorklist } from '../../../native/store/worklist.js';

const upTo = (v: number) => MIGRATIONS.filter((m) => m.version <= v);

/** A version-40 store with three model versions and two notes. */
function store40(): Database.Database {
  const db = new Database(':memory:');
  migrate(db, upTo(40));
  db.exec(`
    INSERT INTO notes (source, source_key, text) VALUES ('s', '1', 'a'), ('s', '2', 'b'), ('s', '3', 'c');
    INSERT INTO models (name, task, family) VALUES ('m', 't', 'text');
    INSERT INTO model_versions (model_id, version, state, path, metadata_json) VALUES
      (1, '1', 'retired', 'p1', '{}'), (1, '2', 'retired', 'p2', '{}'), (1, '3', 'active', 'p3', '{}');
  `);
  return db;
}

const predict = (db: Database.Database, version: number, note: number, score: number | null, id?: number) =>
  Number(
    db
      .prepare(
        `INSERT INTO predictions (id, model_version_id, target_kind, target_id, output_json, score)
         VALUES (?, ?, 'note', ?, '{}', ?)`,
      )
      .run(id ?? null, version, note, score).lastInsertRowid,
  );

const kept = (db: Database.Database) =>
  db
    .prepare('SELECT target_id AS note, score, model_version_id AS version FROM target_priority ORDER BY target_id')
    .all();

/** What the triggers must keep: per target, the highest score, the latest prediction among ties. */
const expected = (db: Database.Database) =>
  db
    .prepare(
      `SELECT target_id AS note, score, model_version_id AS version FROM (
         SELECT *, row_number() OVER (PARTITION BY target_kind, target_id ORDER BY score DESC, id DESC) AS n
         FROM predictions WHERE score IS NOT NULL) WHERE n = 1 ORDER BY target_id`,
    )
    .all();

describe('migration 0050 (priority model)', () => {
  it('backfills the model version of each target’s highest score from a version-40 store', () => {
    const db = store40();
    predict(db, 1, 1, 0.2);
    predict(db, 2, 1, 0.9);
    predict(db, 3, 1, 0.4);
    // A tie: the later prediction (version 1) wins over the earlier one (version 3).
    predict(db, 3, 2, 0.5);
    predict(db, 1, 2, 0.5);
    predict(db, 2, 2, null);
    predict(db, 2, 3, null);
    migrate(db, upTo(50));
    expect(schemaVersion(db)).toBe(50);
    expect(kept(db)).toEqual([
      { note: 1, score: 0.9, version: 2 },
      { note: 2, score: 0.5, version: 1 },
    ]);
  });

  it('keeps the model of the highest score through inserts, ties, deletes and updates', () => {
    const db = store40();
    migrate(db, upTo(50));
    // Ids from 10 up, leaving room below for a row written with an explicit lower id.
    const low = predict(db, 1, 1, 0.3, 10);
    expect(kept(db)).toEqual([{ note: 1, score: 0.3, version: 1 }]);
    const high = predict(db, 2, 1, 0.8);
    expect(kept(db)).toEqual([{ note: 1, score: 0.8, version: 2 }]);
    // A lower score and a score-less prediction leave it alone.
    predict(db, 3, 1, 0.5);
    predict(db, 3, 1, null);
    expect(kept(db)).toEqual([{ note: 1, score: 0.8, version: 2 }]);
    // An equal score from a later prediction takes over...
    const tie = predict(db, 3, 1, 0.8);
    expect(kept(db)).toEqual([{ note: 1, score: 0.8, version: 3 }]);
    // ...but not one written with an explicit id lower than the holder's.
    predict(db, 1, 1, 0.8, 5);
    expect(kept(db)).toEqual([{ note: 1, score: 0.8, version: 3 }]);

    // Deleting the holder falls back to the latest other prediction of that score, then to the next score.
    db.prepare('DELETE FROM predictions WHERE id = ?').run(tie);
    expect(kept(db)).toEqual([{ note: 1, score: 0.8, version: 2 }]);
    db.prepare('DELETE FROM predictions WHERE id = ?').run(high);
    expect(kept(db)).toEqual([{ note: 1, score: 0.8, version: 1 }]);
    db.prepare('DELETE FROM predictions WHERE score = 0.8').run();
    expect(kept(db)).toEqual([{ note: 1, score: 0.5, version: 3 }]);
    // Deleting a prediction that does not hold the priority keeps it.
    db.prepare('DELETE FROM predictions WHERE id = ?').run(low);
    expect(kept(db)).toEqual([{ note: 1, score: 0.5, version: 3 }]);

    // Updates: a score raised past the holder, a changed model version, a move to another target.
    const other = predict(db, 2, 1, 0.1);
    db.prepare('UPDATE predictions SET score = 0.95 WHERE id = ?').run(other);
    expect(kept(db)).toEqual([{ note: 1, score: 0.95, version: 2 }]);
    db.prepare('UPDATE predictions SET model_version_id = 1 WHERE id = ?').run(other);
    expect(kept(db)).toEqual([{ note: 1, score: 0.95, version: 1 }]);
    db.prepare('UPDATE predictions SET target_id = 2 WHERE id = ?').run(other);
    expect(kept(db)).toEqual([
      { note: 1, score: 0.5, version: 3 },
      { note: 2, score: 0.95, version: 1 },
    ]);
    db.prepare('UPDATE predictions SET score = NULL WHERE id = ?').run(other);
    expect(kept(db)).toEqual([{ note: 1, score: 0.5, version: 3 }]);
    db.prepare('DELETE FROM predictions').run();
    expect(kept(db)).toEqual([]);
  });

  it('agrees with a recomputation from the predictions after random writes', () => {
    const db = store40();
    migrate(db, upTo(50));
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const ids: number[] = [];
    for (let i = 0; i < 400; i++) {
      const r = rnd();
      const score = rnd() < 0.15 ? null : Math.floor(rnd() * 5) / 4;
      if (r < 0.6 || ids.length === 0)
        ids.push(predict(db, 1 + Math.floor(rnd() * 3), 1 + Math.floor(rnd() * 3), score));
      else if (r < 0.8) {
        const [id] = ids.splice(Math.floor(rnd() * ids.length), 1);
        db.prepare('DELETE FROM predictions WHERE id = ?').run(id);
      } else
        db.prepare('UPDATE predictions SET score = ?, model_version_id = ? WHERE id = ?').run(
          score,
          1 + Math.floor(rnd() * 3),
          ids[Math.floor(rnd() * ids.length)],
        );
      expect(kept(db)).toEqual(expected(db));
    }
  });
});

describe('worklist rows carry the model behind their priority', () => {
  it('names the model version of each scored row, in both orders and across keyset pages', () => {
    const store = openStore(':memory:');
    try {
      const db = store.db;
      db.exec(`
        INSERT INTO models (name, task, family) VALUES ('notes-a', 't', 'text'), ('chest', 'f', 'image');
        INSERT INTO model_versions (model_id, version, state, path, metadata_json) VALUES
          (1, '1.0.0', 'retired', 'a1', '{}'), (1, '1.1.0', 'active', 'a2', '{}'), (2, '2.0.0', 'active', 'c', '{}');
      `);
      const notes = Array.from(
        { length: 12 },
        (_, i) =>
          upsertNote(db, { source: 's', sourceKey: String(i), text: `note ${i}`, date: `2024-01-${10 + i}` }).id,
      );
      db.prepare(
        "INSERT INTO studies (patient_id, study_uid, study_date, modalities) VALUES (?, '1.2.3', '20240301', 'CR')",
      ).run(ensurePatient(db, 'P1'));
      const study = db.prepare('SELECT id FROM studies').pluck().get() as number;
      const p = (v: number, kind: 'note' | 'study', id: number, score: number | null) =>
        addPredictions(db, [{ modelVersionId: v, targetKind: kind, targetId: id, output: {}, score }], 'ml');
      // Even notes scored by 1.0.0, then some re-scored higher by 1.1.0; the study by the image model.
      notes.forEach((id, i) => i % 2 === 0 && p(1, 'note', id, i / 20));
      p(2, 'note', notes[0]!, 0.9);
      p(2, 'note', notes[2]!, 0.01);
      p(2, 'note', notes[5]!, null);
      p(3, 'study', study, 0.5);

      const want = new Map<string, { name: string; version: string } | null>(
        notes.map((id, i) => [`note:${id}`, i % 2 === 0 ? { name: 'notes-a', version: '1.0.0' } : null]),
      );
      want.set(`note:${notes[0]}`, { name: 'notes-a', version: '1.1.0' });
      want.set(`study:${study}`, { name: 'chest', version: '2.0.0' });
      for (const sort of ['priority', 'date'] as const) {
        const all = listWorklist(db, { sort, limit: 100, offset: 0 }).items;
        expect(new Map(all.map((i) => [`${i.kind}:${i.id}`, i.model]))).toEqual(want);
        for (const i of all) expect(i.model === null).toBe(i.priority === null);
        const paged = [];
        let cursor: string | undefined;
        for (let n = 0; n < 10; n++) {
          const page = listWorklist(db, { sort, limit: 4, offset: 0, ...(cursor ? { cursor } : {}) });
          paged.push(...page.items);
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(paged).toEqual(all);
      }
      expect(listWorklist(db, { sort: 'priority', limit: 2, offset: 0 }).items).toMatchObject([
        { kind: 'note', id: notes[0], priority: 0.9, model: { name: 'notes-a', version: '1.1.0' } },
        { kind: 'study', id: study, priority: 0.5, model: { name: 'chest', version: '2.0.0' } },
      ]);
      // A new highest score from another model version takes the row over at once.
      p(3, 'note', notes[3]!, 0.95);
      expect(listWorklist(db, { sort: 'priority', limit: 1, offset: 0 }).items[0]).toMatchObject({
        id: notes[3],
        model: { name: 'chest', version: '2.0.0' },
      });
    } finally {
      store.close();
    }
  });
});
