import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OslerError } from '../../../native/contract/result.js';
import { listAudit, writeAudit } from '../../../native/store/audit.js';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { durableTransaction } from '../../../native/store/durable.js';
import {
  currentLabels,
  importLabel,
  labelHistory,
  labelState,
  setLabel,
  taskStates,
} from '../../../native/store/labels.js';
import { getNote, highlightNote, searchNotes, toFtsQuery, upsertNote } from '../../../native/store/notes.js';
import { ensurePatient, getPatient } from '../../../native/store/patients.js';
import { addPredictions, listPredictions } from '../../../native/store/predictions.js';
import {
  addRecordingAnnotations,
  addSignal,
  CHUNK_SAMPLES,
  getRecording,
  listRecordingAnnotations,
  putRecording,
  readSamples,
} from '../../../native/store/recordings.js';
import { listWorklist } from '../../../native/store/worklist.js';

let store: StoreHandle;
beforeEach(() => {
  store = openStore(':memory:');
});
afterEach(() => store.close());

const note = (key: string, text: string, extra: object = {}) =>
  upsertNote(store.db, { source: 'test.csv', sourceKey: key, text, ...extra }).id;

describe('patients', () => {
  it('creates once per key and fills in missing attributes without overwriting', () => {
    const a = ensurePatient(store.db, 'P1', { sex: 'F' });
    expect(ensurePatient(store.db, 'P1', { sex: 'M', name: 'Doe' })).toBe(a);
    expect(getPatient(store.db, a)).toMatchObject({ key: 'P1', sex: 'F', name: 'Doe' });
  });
});

describe('notes', () => {
  it('upserts idempotently by source and key', () => {
    expect(upsertNote(store.db, { source: 's', sourceKey: '1', text: 'a' }).outcome).toBe('inserted');
    expect(upsertNote(store.db, { source: 's', sourceKey: '1', text: 'a' }).outcome).toBe('unchanged');
    expect(upsertNote(store.db, { source: 's', sourceKey: '1', text: 'b' }).outcome).toBe('updated');
    expect(store.db.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(1);
    // The FTS index follows updates.
    expect(searchNotes(store.db, 'b', { limit: 5 }).total).toBe(1);
    expect(searchNotes(store.db, 'a', { limit: 5 }).total).toBe(0);
  });

  it('searches with stemming, ranking, snippets and highlight ranges', () => {
    note('1', 'Patient reports chest pain radiating to the left arm. Troponin elevated.');
    note('2', 'Knee pain after running.');
    note('3', 'No complaints.');
    const r = searchNotes(store.db, 'radiates pain', { limit: 10 });
    expect(r.total).toBe(1);
    const hit = r.hits[0]!;
    const marked = hit.highlights.map(([a, b]) => hit.snippet.slice(a, b));
    expect(marked).toEqual(['pain', 'radiating']);
    expect(
      searchNotes(store.db, 'pain', { limit: 10 })
        .hits.map((h) => h.id)
        .sort(),
    ).toEqual([1, 2]);
    expect(highlightNote(store.db, 1, 'troponin').map(([a, b]) => getNote(store.db, 1)!.text.slice(a, b))).toEqual([
      'Troponin',
    ]);
    // The ranges belong to the note asked for, not to the first note that matches.
    expect(highlightNote(store.db, 2, 'pain').map(([a, b]) => getNote(store.db, 2)!.text.slice(a, b))).toEqual([
      'pain',
    ]);
    expect(highlightNote(store.db, 2, 'pain')).toEqual([[5, 9]]);
  });

  it('filters search by patient', () => {
    const p = ensurePatient(store.db, 'P9');
    note('1', 'fever and cough', { patientId: p });
    note('2', 'fever');
    expect(searchNotes(store.db, 'fever', { limit: 10, patientId: p }).hits.map((h) => h.id)).toEqual([1]);
  });

  it('keeps phrases, prefixes and OR; never passes raw syntax to FTS5', () => {
    expect(toFtsQuery('"chest pain" OR dyspnea')).toBe('"chest pain" OR "dyspnea"');
    expect(toFtsQuery('tropon*')).toBe('"tropon" *');
    expect(toFtsQuery('( ) : - ^ "')).toBeNull();
    expect(toFtsQuery('NEAR(a b)')).toBe('"NEAR a" "b"');
    note('1', 'dyspnea on exertion');
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (q) => {
        searchNotes(store.db, q, { limit: 1 });
      }),
      { numRuns: 300 },
    );
  });
});

describe('labels', () => {
  it('follows supersedes chains: current label, history and state', () => {
    const id = note('1', 'text');
    const target = { kind: 'note' as const, id };
    expect(labelState(store.db, target, 'triage')).toBe('unlabelled');
    const [first] = setLabel(
      store.db,
      { target, task: 'triage', value: 'urgent', source: 'human', author: 'ann' },
      'ann@cli',
    );
    const [second] = setLabel(
      store.db,
      { target, task: 'triage', value: 'routine', source: 'human', author: 'bob' },
      'bob@cli',
    );
    expect(second!.supersedes).toBe(first!.id);
    expect(currentLabels(store.db, target, 'triage').map((l) => l.value)).toEqual(['routine']);
    expect(labelHistory(store.db, 'note', id).map((l) => [l.value, l.current])).toEqual([
      ['urgent', false],
      ['routine', true],
    ]);
    expect(labelState(store.db, target, 'triage')).toBe('labelled');
  });

  it('an independent second read can dispute; setting without supersedes settles it', () => {
    const id = note('1', 'text');
    const target = { kind: 'note' as const, id };
    setLabel(store.db, { target, task: 't', value: 'a', source: 'human', author: 'ann' }, 'ann');
    setLabel(store.db, { target, task: 't', value: 'b', source: 'human', author: 'bob', supersedes: null }, 'bob');
    expect(labelState(store.db, target, 't')).toBe('disputed');
    expect(taskStates(labelHistory(store.db, 'note', id))).toEqual([
      { task: 't', windowStartMs: null, windowEndMs: null, state: 'disputed', values: ['a', 'b'] },
    ]);
    const written = setLabel(store.db, { target, task: 't', value: 'b', source: 'human', author: 'chief' }, 'chief');
    expect(written).toHaveLength(2);
    expect(labelState(store.db, target, 't')).toBe('labelled');
  });

  it('refuses to supersede a label that is no longer current (conflict), and unknown targets', () => {
    const id = note('1', 'text');
    const target = { kind: 'note' as const, id };
    const [a] = setLabel(store.db, { target, task: 't', value: 'a', source: 'human', author: null }, 'x');
    setLabel(store.db, { target, task: 't', value: 'b', source: 'human', author: null, supersedes: a!.id }, 'x');
    expect(() =>
      setLabel(store.db, { target, task: 't', value: 'c', source: 'human', author: null, supersedes: a!.id }, 'x'),
    ).toThrow(expect.objectContaining({ code: 'conflict' }) as OslerError);
    expect(() =>
      setLabel(
        store.db,
        { target: { kind: 'note', id: 999 }, task: 't', value: 'c', source: 'human', author: null },
        'x',
      ),
    ).toThrow(/no note with id 999/);
  });

  it('writes labels with synchronous=FULL and an audit row each, then restores NORMAL', () => {
    const id = note('1', 'text');
    let inside = -1;
    durableTransaction(store.db, () => {
      inside = store.db.pragma('synchronous', { simple: true }) as number;
    });
    expect(inside).toBe(2);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(1);
    setLabel(
      store.db,
      { target: { kind: 'note', id }, task: 't', value: 'a', source: 'human', author: 'ann' },
      'ann@cli',
    );
    expect(listAudit(store.db, { action: 'labels.set', limit: 10 })).toHaveLength(1);
  });

  it('recording labels may cover a window; other targets may not', () => {
    const rec = putRecording(store.db, {
      source: 's',
      sourceKey: 'r',
      patientId: null,
      kind: 'wfdb',
      startTime: null,
      durationS: 10,
      metadata: {},
    });
    const [l] = setLabel(
      store.db,
      {
        target: { kind: 'recording', id: rec, windowStartMs: 1000, windowEndMs: 2000 },
        task: 'rhythm',
        value: 'AF',
        source: 'human',
        author: null,
      },
      'x',
    );
    expect(l).toMatchObject({ windowStartMs: 1000, windowEndMs: 2000 });
    const id = note('1', 'text');
    expect(() =>
      setLabel(
        store.db,
        {
          target: { kind: 'note', id, windowStartMs: 1, windowEndMs: 2 },
          task: 't',
          value: 'a',
          source: 'human',
          author: null,
        },
        'x',
      ),
    ).toThrow(/only recording labels/);
  });

  it('imported labels are idempotent, follow changed values, and never override human labels', () => {
    const id = note('1', 'text');
    const target = { kind: 'note' as const, id };
    expect(importLabel(store.db, target, 'cls', '3', null)).toBe(true);
    expect(importLabel(store.db, target, 'cls', '3', null)).toBe(false);
    expect(importLabel(store.db, target, 'cls', '4', null)).toBe(true);
    expect(currentLabels(store.db, target, 'cls').map((l) => l.value)).toEqual(['4']);
    setLabel(store.db, { target, task: 'cls', value: '5', source: 'human', author: 'ann' }, 'ann');
    expect(importLabel(store.db, target, 'cls', '4', null)).toBe(true);
    expect(currentLabels(store.db, target, 'cls').map((l) => [l.source, l.value])).toEqual([
      ['human', '5'],
      ['imported', '4'],
    ]);
  });
});

describe('recordings', () => {
  it('stores samples as Float32 chunks and reads any window across chunk boundaries', () => {
    const rec = putRecording(store.db, {
      source: 's',
      sourceKey: 'r',
      patientId: null,
      kind: 'wfdb',
      startTime: null,
      durationS: null,
      metadata: { fingerprint: 'x' },
    });
    const n = CHUNK_SAMPLES * 2 + 123;
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i / 10));
    values[5] = Number.NaN;
    const sig = addSignal(store.db, rec, { name: 'II', unit: 'mV', samplingHz: 360, values });
    expect(store.db.prepare('SELECT count(*) FROM signal_chunks WHERE signal_id = ?').pluck().get(sig)).toBe(3);
    const from = CHUNK_SAMPLES - 10;
    const { values: w } = readSamples(store.db, sig, from, from + 20);
    expect(Array.from(w)).toEqual(Array.from(values.subarray(from, from + 20)));
    expect(Number.isNaN(readSamples(store.db, sig, 0, 10).values[5])).toBe(true);
    expect(getRecording(store.db, rec)!.signals).toEqual([
      { id: sig, name: 'II', unit: 'mV', samplingHz: 360, sampleCount: n, firstTimeMs: 0 },
    ]);
  });

  it('stores irregular series with their times, de-duplicates signal names, and annotations by time', () => {
    const rec = putRecording(store.db, {
      source: 's',
      sourceKey: 'r',
      patientId: null,
      kind: 'x',
      startTime: null,
      durationS: null,
      metadata: {},
    });
    const sig = addSignal(store.db, rec, {
      name: 'HR',
      unit: 'bpm',
      samplingHz: null,
      values: Float32Array.of(70, 72),
      timesMs: Float64Array.of(0, 60_000),
    });
    addSignal(store.db, rec, { name: 'HR', unit: 'bpm', samplingHz: 1, values: Float32Array.of(1) });
    expect(Array.from(readSamples(store.db, sig, 0, 2).timesMs!)).toEqual([0, 60_000]);
    expect(getRecording(store.db, rec)!.signals.map((s) => s.name)).toEqual(['HR', 'HR (2)']);
    addRecordingAnnotations(
      store.db,
      rec,
      [0, 1000, 2000].map((t, i) => ({
        source: 'atr',
        sample: i,
        tMs: t,
        code: 1,
        symbol: 'N',
        sub: 0,
        chan: 0,
        num: 0,
        aux: null,
      })),
    );
    expect(listRecordingAnnotations(store.db, rec, 500, 2500, 10).map((a) => a.tMs)).toEqual([1000, 2000]);
  });
});

describe('predictions, audit and worklist', () => {
  function model(): number {
    store.db.prepare("INSERT INTO models (name, task, family) VALUES ('m', 't', 'text')").run();
    return Number(
      store.db
        .prepare(
          "INSERT INTO model_versions (model_id, version, state, path, metadata_json) VALUES (1, '1', 'active', 'p', '{}')",
        )
        .run().lastInsertRowid,
    );
  }

  it('records predictions with audit rows and refuses unknown model versions', () => {
    const v = model();
    const id = note('1', 'x');
    addPredictions(
      store.db,
      [{ modelVersionId: v, targetKind: 'note', targetId: id, output: { p: 0.9 }, score: 0.9 }],
      'ml',
    );
    expect(listPredictions(store.db, 'note', id)[0]).toMatchObject({ output: { p: 0.9 }, score: 0.9 });
    expect(listAudit(store.db, { action: 'predictions.add', limit: 5 })).toHaveLength(1);
    expect(() =>
      addPredictions(
        store.db,
        [{ modelVersionId: 99, targetKind: 'note', targetId: id, output: {}, score: null }],
        'ml',
      ),
    ).toThrow(/no model version/);
  });

  it('lists audit rows newest first with filters and paging', () => {
    for (let i = 0; i < 5; i++)
      writeAudit(store.db, { actor: i % 2 ? 'a' : 'b', action: 'x.y', targetKind: 'note', targetId: i, detail: { i } });
    const all = listAudit(store.db, { limit: 10 });
    expect(all.map((r) => r.targetId)).toEqual([4, 3, 2, 1, 0]);
    expect(listAudit(store.db, { actor: 'a', limit: 10 }).map((r) => r.targetId)).toEqual([3, 1]);
    expect(listAudit(store.db, { beforeId: all[1]!.id, limit: 2 }).map((r) => r.detail)).toEqual([{ i: 2 }, { i: 1 }]);
  });

  it('lists notes, recordings and studies with label-state, patient, date, modality filters and priority order', () => {
    const v = model();
    const p = ensurePatient(store.db, 'P1');
    const a = note('a', 'first', { patientId: p, date: '2024-01-02', title: 'A' });
    const b = note('b', 'second', { date: '2024-03-01' });
    const rec = putRecording(store.db, {
      source: 's',
      sourceKey: 'r',
      patientId: p,
      kind: 'wfdb',
      startTime: '2024-02-01T10:00:00',
      durationS: 1,
      metadata: { title: 'rec' },
    });
    store.db
      .prepare(
        "INSERT INTO studies (patient_id, study_uid, study_date, modalities, description) VALUES (?, '1.2.3', '20240215', 'CT\\SR', 'Head CT')",
      )
      .run(p);
    setLabel(
      store.db,
      { target: { kind: 'note', id: a }, task: 'cls', value: '1', source: 'human', author: null },
      'x',
    );
    setLabel(
      store.db,
      { target: { kind: 'recording', id: rec }, task: 'cls', value: '1', source: 'human', author: 'x' },
      'x',
    );
    setLabel(
      store.db,
      {
        target: { kind: 'recording', id: rec },
        task: 'cls',
        value: '2',
        source: 'human',
        author: 'y',
        supersedes: null,
      },
      'y',
    );
    addPredictions(store.db, [{ modelVersionId: v, targetKind: 'note', targetId: b, output: {}, score: 0.7 }], 'ml');
    const q = { sort: 'date' as const, limit: 10, offset: 0 };
    expect(listWorklist(store.db, q).items.map((i) => `${i.kind}:${i.date}:${i.labelState}`)).toEqual([
      'note:2024-03-01:unlabelled',
      'study:2024-02-15:unlabelled',
      'recording:2024-02-01T10:00:00:disputed',
      'note:2024-01-02:labelled',
    ]);
    expect(listWorklist(store.db, { ...q, sort: 'priority' }).items[0]).toMatchObject({
      kind: 'note',
      id: b,
      priority: 0.7,
    });
    expect(listWorklist(store.db, { ...q, patientKey: 'P1' }).items).toHaveLength(3);
    expect(listWorklist(store.db, { ...q, labelState: 'disputed' }).items.map((i) => i.kind)).toEqual(['recording']);
    expect(listWorklist(store.db, { ...q, labelState: 'unlabelled', task: 'cls' }).items).toHaveLength(2);
    expect(listWorklist(store.db, { ...q, modality: 'CT' }).items.map((i) => i.title)).toEqual(['Head CT']);
    expect(listWorklist(store.db, { ...q, modality: 'MR' }).items).toEqual([]);
    expect(
      listWorklist(store.db, { ...q, dateFrom: '2024-02-01', dateTo: '2024-02-15' }).items.map((i) => i.kind),
    ).toEqual(['study', 'recording']);
    expect(listWorklist(store.db, { ...q, limit: 2 }).hasMore).toBe(true);
    // Pages of other sizes and kind orders reuse the statements compiled for the first.
    const prepare = vi.spyOn(store.db, 'prepare');
    listWorklist(store.db, { ...q, sort: 'priority', limit: 3 });
    const compiled = prepare.mock.calls.length;
    listWorklist(store.db, { ...q, sort: 'priority', limit: 7, offset: 1, kinds: ['recording', 'note', 'study'] });
    listWorklist(store.db, { ...q, sort: 'priority', limit: 50, kinds: ['note', 'recording', 'study'] });
    expect(prepare.mock.calls.length).toBe(compiled);
    prepare.mockRestore();
  });
  it('keyset pages (cursor) list exactly the rows offset pages do, in both orders and under filters', () => {
    const v = model();
    let seed = 3;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 60; i++) {
      const date = rnd() < 0.15 ? null : `2024-0${1 + Math.floor(rnd() * 3)}-1${Math.floor(rnd() * 3)}`;
      const id = note(String(i), `note ${i}`, { date });
      if (rnd() < 0.4)
        addPredictions(
          store.db,
          [{ modelVersionId: v, targetKind: 'note', targetId: id, output: {}, score: Math.floor(rnd() * 4) / 4 }],
          'ml',
        );
      if (rnd() < 0.3)
        setLabel(
          store.db,
          {
            target: { kind: 'note', id },
            task: 'cls',
            value: String(Math.floor(rnd() * 2)),
            source: 'human',
            author: null,
          },
          'x',
        );
      if (i % 3 === 0)
        store.db
          .prepare('INSERT INTO studies (patient_id, study_uid, study_date) VALUES (?, ?, ?)')
          .run(ensurePatient(store.db, 'P'), `1.2.${i}`, date?.replace(/-/g, '') ?? null);
    }
    for (const filter of [
      { sort: 'date' as const },
      { sort: 'priority' as const },
      { sort: 'priority' as const, labelState: 'unlabelled' as const, task: 'cls' },
      { sort: 'date' as const, labelState: 'labelled' as const },
    ]) {
      const all = listWorklist(store.db, { ...filter, limit: 500, offset: 0 }).items.map((i) => `${i.kind}:${i.id}`);
      const paged: string[] = [];
      let cursor: string | undefined;
      for (let n = 0; n < 100; n++) {
        const page = listWorklist(store.db, { ...filter, limit: 7, offset: 0, ...(cursor ? { cursor } : {}) });
        paged.push(...page.items.map((i) => `${i.kind}:${i.id}`));
        if (page.nextCursor === null) break;
        cursor = page.nextCursor;
      }
      expect(paged).toEqual(all);
      expect(all.length).toBeGreaterThan(10);
    }
    expect(() => listWorklist(store.db, { sort: 'date', limit: 5, offset: 0, cursor: 'bogus' })).toThrow(/cursor/);
  });
});
