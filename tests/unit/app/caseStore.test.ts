import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import type { ChannelOutput, EventPayload } from '../../../native/contract/index.js';
import { main } from '../../../native/cli/main.js';
import { tempDir } from '../helpers.js';
import { enc212, encAnnotations } from '../vitals/fixtures.js';

const ctx = { via: 'cli' as const };

async function call<T>(core: Core, channel: string, input: unknown): Promise<T> {
  const result = await core.dispatch(channel, input, ctx);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value as T;
}

async function failure(core: Core, channel: string, input: unknown): Promise<{ code: string; message: string }> {
  const result = await core.dispatch(channel, input, ctx);
  if (result.ok) throw new Error(`${channel} unexpectedly succeeded`);
  return result;
}

const WORDS =
  'patient presents with chest pain dyspnea fever cough nausea headache abdominal tenderness troponin elevated ecg sinus rhythm'.split(
    ' ',
  );

/** A CSV of `n` short synthetic notes with a label column. */
function bigCsv(n: number): string {
  let s = 'id,text,label\n';
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < n; i++) {
    const words = Array.from({ length: 30 }, () => WORDS[Math.floor(rnd() * WORDS.length)]);
    s += `${i},"${words.join(' ')}",${i % 3}\n`;
  }
  return s;
}

describe('case store channels', () => {
  const tmp = tempDir();
  const home = join(tmp.path, 'home');
  const src = join(tmp.path, 'src');
  let core: Core;
  const progress: Array<EventPayload<'records.importProgress'>> = [];

  beforeAll(() => {
    mkdirSync(join(src, 'rec'), { recursive: true });
    writeFileSync(
      join(src, 'notes.csv'),
      'id,patient,date,text,dx\r\n1,P1,2024-01-02,"Chest pain,\r\nradiating to the arm",MI\r\n2,P2,2024-02-03,Cough and fever,URI\r\n3,P1,,broken\r\n',
    );
    writeFileSync(join(src, 'big.csv'), bigCsv(20_000));
    // 1000 frames of two signals at 100 Hz, a beat every 100 samples.
    const frames = Array.from({ length: 1000 }, (_, i) => [i % 100, -(i % 50)]).flat();
    const sum = (k: number) => (frames.filter((_, i) => i % 2 === k).reduce((a, b) => a + b, 0) << 16) >> 16;
    writeFileSync(
      join(src, 'rec', 'r.hea'),
      `r 2 100 1000\nr.dat 212 100 12 0 0 ${sum(0)} 0 II\nr.dat 212 100 12 0 0 ${sum(1)} 0 V\n`,
    );
    writeFileSync(join(src, 'rec', 'r.dat'), enc212(frames));
    writeFileSync(
      join(src, 'rec', 'r.atr'),
      encAnnotations(Array.from({ length: 10 }, (_, i) => ({ sample: i * 100 + 5, code: 1 }))),
    );
    core = createCore({ home, mode: 'cli', log: () => undefined });
    core.on('records.importProgress', (p) => progress.push(p));
  });
  afterAll(async () => {
    await core.close();
    tmp.cleanup();
  });

  it('imports notes in a worker, reporting progress, encoding, labels and bad rows', async () => {
    const s = await call<ChannelOutput<'notes.import'>>(core, 'notes.import', {
      path: join(src, 'notes.csv'),
      labelCol: ['dx'],
      labelTask: ['diagnosis'],
      patientCol: 'patient',
      dateCol: 'date',
      jobId: 'job-1',
    });
    expect(s).toMatchObject({
      records: 2,
      inserted: 2,
      failed: 1,
      labelsWritten: 2,
      patients: 2,
      encoding: { encoding: 'utf-8' },
    });
    expect(s.errors).toEqual([{ file: null, line: 5, message: 'has 4 field(s), the header has 5' }]);
    expect(progress.filter((p) => p.jobId === 'job-1').at(-1)).toMatchObject({ kind: 'notes', records: 2, failed: 1 });
  });

  it('searches and opens notes with highlights, labels and audit rows', async () => {
    const r = await call<ChannelOutput<'notes.search'>>(core, 'notes.search', { query: 'radiate' });
    expect(r.total).toBe(1);
    expect(r.ranked).toBe(1);
    const hit = r.hits[0]!;
    expect(hit.highlights.map(([a, b]) => hit.snippet.slice(a, b))).toEqual(['radiating']);
    expect(
      (await call<ChannelOutput<'notes.search'>>(core, 'notes.search', { query: 'fever', patientKey: 'P1' })).total,
    ).toBe(0);
    const note = await call<ChannelOutput<'notes.get'>>(core, 'notes.get', { id: hit.id, query: 'arm' });
    expect(note).toMatchObject({
      patientKey: 'P1',
      date: '2024-01-02',
      states: [{ task: 'diagnosis', state: 'labelled', values: ['MI'] }],
    });
    expect(note.highlights.map(([a, b]) => note.text.slice(a, b))).toEqual(['arm']);
    const audit = await call<ChannelOutput<'audit.list'>>(core, 'audit.list', { limit: 5 });
    expect(audit.rows.map((a) => a.action)).toEqual(
      expect.arrayContaining(['notes.get', 'notes.search', 'import.notes']),
    );
    expect(audit.rows[0]).toMatchObject({
      action: 'notes.get',
      targetKind: 'note',
      targetId: hit.id,
      actor: expect.stringMatching(/@cli$/),
    });
  });

  it('sets labels through the contract: supersedes, disputes, conflicts', async () => {
    const target = { kind: 'note', id: 2 };
    const first = await call<ChannelOutput<'labels.set'>>(core, 'labels.set', {
      target,
      task: 'triage',
      value: 'urgent',
    });
    expect(first).toMatchObject({ state: 'labelled', labels: [{ source: 'human', supersedes: null }] });
    const second = await call<ChannelOutput<'labels.set'>>(core, 'labels.set', {
      target,
      task: 'triage',
      value: 'routine',
      supersedes: null,
    });
    expect(second.state).toBe('disputed');
    const stale = await failure(core, 'labels.set', { target, task: 'triage', value: 'x', supersedes: 999 });
    expect(stale.code).toBe('conflict');
    const list = await call<ChannelOutput<'labels.list'>>(core, 'labels.list', { target, task: 'triage' });
    expect(list.states).toMatchObject([{ state: 'disputed', values: ['urgent', 'routine'] }]);
    const wl = await call<ChannelOutput<'worklist.list'>>(core, 'worklist.list', { labelState: 'disputed' });
    expect(wl.items.map((i) => [i.kind, i.id])).toEqual([['note', 2]]);
    // The task's classes: current values only, most used first.
    await call(core, 'labels.set', { target: { kind: 'note', id: 1 }, task: 'triage', value: 'routine' });
    const first1 = (
      await call<ChannelOutput<'labels.list'>>(core, 'labels.list', { target: { kind: 'note', id: 1 }, task: 'triage' })
    ).labels[0]!;
    await call(core, 'labels.set', {
      target: { kind: 'note', id: 1 },
      task: 'triage',
      value: 'urgent',
      supersedes: first1.id,
    });
    expect(await call(core, 'labels.classes', { task: 'triage' })).toMatchObject([
      {
        task: 'triage',
        value: 'urgent',
        count: 2,
        sources: { human: 2, imported: 0, 'model-accepted': 0 },
        newSince: 0,
      },
      { task: 'triage', value: 'routine', count: 1, sources: { human: 1 } },
    ]);
    expect(await call(core, 'labels.classes', { targetKind: 'note' })).toEqual(
      expect.arrayContaining([expect.objectContaining({ task: 'triage', value: 'urgent', count: 2 })]),
    );
    // Labels written after a point in time (e.g. the active model's creation) are counted apart.
    expect(await call(core, 'labels.classes', { task: 'triage', since: '2000-01-01T00:00:00Z' })).toMatchObject([
      { value: 'urgent', newSince: 2 },
      { value: 'routine', newSince: 1 },
    ]);
    expect(await call(core, 'labels.classes', { task: 'triage', since: '2999-01-01T00:00:00Z' })).toMatchObject([
      { value: 'urgent', newSince: 0 },
      { value: 'routine', newSince: 0 },
    ]);
    expect(await call(core, 'labels.classes', { targetKind: 'recording', task: 'triage' })).toEqual([]);
    expect(await call(core, 'labels.classes', { task: 'unused' })).toEqual([]);
  });

  it('refuses malformed input and missing sources without touching the store', async () => {
    expect((await failure(core, 'notes.search', { query: 'x', extra: 1 })).code).toBe('invalid-input');
    expect((await failure(core, 'notes.search', { query: 'x'.repeat(501) })).code).toBe('invalid-input');
    expect(
      (await failure(core, 'labels.set', { target: { kind: 'note', id: 1 }, task: 'bad task!', value: 'x' })).code,
    ).toBe('invalid-input');
    const missing = await failure(core, 'notes.import', { path: join(src, 'nope.csv') });
    expect(missing).toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('nope.csv: no such file or folder'),
    });
    expect((await failure(core, 'notes.get', { id: 12345 })).code).toBe('not-found');
  });

  it('imports a WFDB record and serves signal windows, decimated, with annotations', async () => {
    const s = await call<ChannelOutput<'vitals.import'>>(core, 'vitals.import', { path: join(src, 'rec') });
    expect(s).toMatchObject({ records: 1, signals: 2, samples: 2000, annotations: 10, errors: [] });
    const id = (await call<ChannelOutput<'worklist.list'>>(core, 'worklist.list', { kinds: ['recording'] })).items[0]!
      .id;
    const w = await call<ChannelOutput<'vitals.get'>>(core, 'vitals.get', {
      recordingId: id,
      fromMs: 1000,
      toMs: 2000,
    });
    expect(w.signals[0]).toMatchObject({ name: 'II', from: 100, step: 1 });
    expect(w.signals[0]!.values.slice(0, 3)).toEqual([0, 0.01, 0.02].map(Math.fround));
    expect(w.signals[0]!.timesMs.slice(0, 2)).toEqual([1000, 1010]);
    expect(w.annotations.map((a) => a.tMs)).toEqual([1050]);
    // Filtered by annotator: the reference labels (atr) only, or none from an annotator not present.
    const window = { recordingId: id, fromMs: 0, toMs: 10_000 };
    const atr = await call<ChannelOutput<'vitals.get'>>(core, 'vitals.get', { ...window, annotator: 'atr' });
    expect(atr.annotations).toHaveLength(10);
    expect(new Set(atr.annotations.map((a) => a.source))).toEqual(new Set(['atr']));
    const qrs = await call<ChannelOutput<'vitals.get'>>(core, 'vitals.get', { ...window, annotator: 'qrs' });
    expect(qrs.annotations).toEqual([]);
    const d = await call<ChannelOutput<'vitals.get'>>(core, 'vitals.get', {
      recordingId: id,
      fromMs: 0,
      toMs: 10_000,
      maxPoints: 10,
      signals: ['V'],
    });
    expect(d.signals).toHaveLength(1);
    expect(d.signals[0]).toMatchObject({ step: 100, values: expect.any(Array) });
    expect(d.signals[0]!.min![0]).toBeCloseTo(-0.49);
    expect(d.signals[0]!.max![0]).toBe(0);
    expect((await failure(core, 'vitals.get', { recordingId: id, signals: ['nope'] })).code).toBe('not-found');
  });

  it('answers searches and the worklist while a large import is still running, and can cancel it', async () => {
    let finished = false;
    const firstBatch = new Promise<void>((resolve) => {
      const off = core.on('records.importProgress', (p) => {
        if (p.jobId === 'big' && p.records > 0) {
          off();
          resolve();
        }
      });
    });
    const running = core
      .dispatch('notes.import', { path: join(src, 'big.csv'), labelCol: ['label'], jobId: 'big' }, ctx)
      .then((r) => {
        finished = true;
        return r;
      });
    await firstBatch;
    const [search, worklist] = await Promise.all([
      call<ChannelOutput<'notes.search'>>(core, 'notes.search', { query: 'troponin' }),
      call<ChannelOutput<'worklist.list'>>(core, 'worklist.list', { limit: 10 }),
    ]);
    expect(finished).toBe(false);
    expect(search.total).toBeGreaterThan(0);
    expect(worklist.items.length).toBeGreaterThan(0);
    expect(await call(core, 'records.cancelImport', { jobId: 'big' })).toEqual({ cancelled: true });
    const result = await running;
    expect(result).toMatchObject({ ok: false, code: 'cancelled' });
    const kept = core.store.db
      .prepare("SELECT count(*) FROM notes WHERE source LIKE '%big.csv'")
      .pluck()
      .get() as number;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(20_000);
    expect(kept % 500).toBe(0);
  });

  it('import.start runs any kind with progress; a DICOM import can be cancelled and never walks a system root', async () => {
    const refused = await failure(core, 'import.start', { kind: 'dicom', paths: ['/'] });
    expect(refused.code).toBe('invalid-input');
    expect(refused.message).toMatch(/filesystem root/);
    expect((await failure(core, 'import.start', { kind: 'dicom', paths: ['/usr/share'] })).message).toMatch(
      /system folder/,
    );
    // Two thousand non-DICOM files ahead of the real ones: the cancel lands long before the end.
    const junk = join(tmp.path, 'dicom-src', 'a-junk');
    mkdirSync(junk, { recursive: true });
    for (let i = 0; i < 2000; i++) writeFileSync(join(junk, `f${i}`), `not dicom ${i}`.padEnd(200, '.'));
    const seen: Array<EventPayload<'import.progress'>> = [];
    const firstEvent = new Promise<void>((resolve) => {
      const off = core.on('import.progress', (p) => {
        seen.push(p);
        if (p.jobId === 'dcm') {
          off();
          resolve();
        }
      });
    });
    const running = core.dispatch(
      'import.start',
      { kind: 'dicom', paths: [join(tmp.path, 'dicom-src')], jobId: 'dcm' },
      ctx,
    );
    await firstEvent;
    // Other calls answer while the worker is still walking.
    let done = false;
    void running.then(() => (done = true));
    const studies = await call<ChannelOutput<'studies.list'>>(core, 'studies.list', {});
    const search = await call<ChannelOutput<'notes.search'>>(core, 'notes.search', { query: 'chest' });
    expect(done).toBe(false);
    expect(Array.isArray(studies)).toBe(true);
    expect(search.total).toBeGreaterThan(0);
    expect(await call(core, 'import.cancel', { jobId: 'dcm' })).toEqual({ cancelled: true });
    const result = await running;
    expect(result).toMatchObject({ ok: false, code: 'cancelled' });
    expect(seen[0]).toMatchObject({ jobId: 'dcm', kind: 'dicom' });
    expect(await call(core, 'import.cancel', { jobId: 'dcm' })).toEqual({ cancelled: false });
    const audit = await call<ChannelOutput<'audit.list'>>(core, 'audit.list', { action: 'import.dicom', limit: 1 });
    expect(audit.rows[0]!.detail).toMatchObject({ cancelled: true });

    const notes = await call<ChannelOutput<'import.start'>>(core, 'import.start', {
      kind: 'notes',
      path: join(src, 'notes.csv'),
      labelCol: ['dx'],
      labelTask: ['diagnosis'],
      patientCol: 'patient',
      dateCol: 'date',
      jobId: 'n2',
    });
    expect(notes).toMatchObject({ kind: 'notes', jobId: 'n2', records: 2, unchanged: 2 });
    const vitals = await call<ChannelOutput<'import.start'>>(core, 'import.start', {
      kind: 'vitals',
      path: join(src, 'rec'),
    });
    expect(vitals).toMatchObject({ kind: 'vitals', records: 1 });
    expect(progress.some((p) => p.jobId === 'n2' && p.kind === 'notes')).toBe(true);
  });

  it('answers a search, the worklist and studies.list during a large import.start, before it ends', async () => {
    const order: string[] = [];
    const firstBatch = new Promise<void>((resolve) => {
      const off = core.on('records.importProgress', (p) => {
        if (p.jobId === 'big2' && p.records > 0) {
          off();
          resolve();
        }
      });
    });
    const running = core
      .dispatch('import.start', { kind: 'notes', path: join(src, 'big.csv'), labelCol: ['label'], jobId: 'big2' }, ctx)
      .then((r) => {
        order.push('import');
        return r;
      });
    await firstBatch;
    await Promise.all([
      call(core, 'notes.search', { query: 'troponin' }).then(() => order.push('search')),
      call(core, 'worklist.list', { limit: 10 }).then(() => order.push('worklist')),
      call(core, 'studies.list', {}).then(() => order.push('studies')),
    ]);
    order.push('answered');
    await call(core, 'import.cancel', { jobId: 'big2' });
    await running;
    expect(order.indexOf('answered')).toBe(3);
    expect(order.at(-1)).toBe('import');
  });

  it('serves the case record, a study and label chains, each audited', async () => {
    const db = core.store.db;
    const p1 = db.prepare("SELECT id FROM patients WHERE patient_key = 'P1'").pluck().get() as number;
    const studyId = Number(
      db
        .prepare(
          "INSERT INTO studies (patient_id, study_uid, study_date, description, modalities) VALUES (?, '9.9.9', '20231215', 'CT chest', 'CT')",
        )
        .run(p1).lastInsertRowid,
    );
    db.prepare(
      "INSERT INTO series (study_id, series_uid, modality, description, frame_count) VALUES (?, '9.9.9.1', 'CT', 'axial', 3)",
    ).run(studyId);
    const first = await call<ChannelOutput<'labels.set'>>(core, 'labels.set', {
      target: { kind: 'study', id: studyId },
      task: 'finding',
      value: 'normal',
    });
    await call(core, 'labels.set', {
      target: { kind: 'study', id: studyId },
      task: 'finding',
      value: 'nodule',
      supersedes: first.labels[0]!.id,
    });
    const history = await call<ChannelOutput<'labels.history'>>(core, 'labels.history', {
      target: { kind: 'study', id: studyId },
    });
    expect(history.chains).toHaveLength(1);
    expect(history.chains[0]).toMatchObject({ task: 'finding', current: true });
    expect(history.chains[0]!.labels.map((l) => l.value)).toEqual(['nodule', 'normal']);
    expect(history.chains[0]!.labels[0]!.supersedes).toBe(first.labels[0]!.id);

    const study = await call<ChannelOutput<'studies.get'>>(core, 'studies.get', { studyId });
    expect(study.study).toMatchObject({ id: studyId, patientKey: 'P1', description: 'CT chest', seriesCount: 1 });
    expect(study.series.map((s) => s.description)).toEqual(['axial']);
    expect(study.states).toMatchObject([{ task: 'finding', state: 'labelled', values: ['nodule'] }]);
    expect((await failure(core, 'studies.get', { studyId: 999_999 })).code).toBe('not-found');

    const record = await call<ChannelOutput<'patients.record'>>(core, 'patients.record', { patientKey: 'P1' });
    expect(record.patient.key).toBe('P1');
    expect(record.studies.map((s) => s.id)).toEqual([studyId]);
    expect(record.studies[0]!.series).toHaveLength(1);
    expect(record.notes.map((n) => n.date)).toEqual(['2024-01-02']);
    expect(record.labels.map((l) => l.value)).toEqual(expect.arrayContaining(['MI', 'normal', 'nodule']));
    // One timeline: the December study before the January note, labels where they were written.
    const kinds = record.timeline.map((e) => e.kind);
    expect(kinds.indexOf('study')).toBeLessThan(kinds.indexOf('note'));
    expect(record.timeline.find((e) => e.kind === 'series')?.parent).toEqual({ kind: 'study', id: studyId });
    expect(record.timeline.filter((e) => e.kind === 'label')).toHaveLength(record.labels.length);
    expect((await failure(core, 'patients.record', { patientKey: 'nobody' })).code).toBe('not-found');
    const byId = await call<ChannelOutput<'patients.record'>>(core, 'patients.record', { patientId: p1 });
    expect(byId.timeline).toEqual(record.timeline);

    const audit = await call<ChannelOutput<'audit.list'>>(core, 'audit.list', { limit: 20 });
    const actions = audit.rows.map((r) => r.action);
    for (const a of ['patients.record', 'studies.get', 'labels.history', 'labels.set']) expect(actions, a).toContain(a);
    expect(audit.rows.find((r) => r.action === 'patients.record')).toMatchObject({
      targetKind: 'patient',
      targetId: p1,
    });
  });

  it('writes an audit row for every patient-data read, import and label change through the case-store channels', async () => {
    const db = core.store.db;
    const noteId = db.prepare('SELECT min(id) FROM notes').pluck().get() as number;
    const recId = db.prepare('SELECT min(id) FROM recordings').pluck().get() as number;
    const p1 = db.prepare("SELECT id FROM patients WHERE patient_key = 'P1'").pluck().get() as number;
    const studyId = db.prepare('SELECT min(id) FROM studies').pluck().get() as number;
    // The same column mapping as the earlier imports, so the notes stay as they are.
    const mapping = { labelCol: ['dx'], labelTask: ['diagnosis'], patientCol: 'patient', dateCol: 'date' };
    const calls: Array<[string, unknown, string]> = [
      ['notes.search', { query: 'chest' }, 'notes.search'],
      ['notes.get', { id: noteId }, 'notes.get'],
      ['vitals.get', { recordingId: recId }, 'vitals.get'],
      ['labels.list', { target: { kind: 'note', id: noteId } }, 'labels.list'],
      ['labels.history', { target: { kind: 'note', id: noteId } }, 'labels.history'],
      ['labels.set', { target: { kind: 'note', id: noteId }, task: 'audit-check', value: 'a' }, 'labels.set'],
      ['worklist.list', {}, 'worklist.list'],
      ['patients.record', { patientId: p1 }, 'patients.record'],
      ['studies.get', { studyId }, 'studies.get'],
      ['import.start', { kind: 'notes', path: join(src, 'notes.csv'), ...mapping }, 'import.notes'],
      ['import.start', { kind: 'vitals', path: join(src, 'rec') }, 'import.vitals'],
      ['notes.import', { path: join(src, 'notes.csv'), ...mapping }, 'import.notes'],
      ['vitals.import', { path: join(src, 'rec') }, 'import.vitals'],
    ];
    for (const [channel, input, action] of calls) {
      const before = db.prepare('SELECT max(id) FROM audit').pluck().get() as number;
      await call(core, channel, input);
      const rows = db.prepare('SELECT action, actor FROM audit WHERE id > ?').all(before) as Array<{
        action: string;
        actor: string;
      }>;
      expect(
        rows.map((r) => r.action),
        channel,
      ).toContain(action);
      expect(
        rows.every((r) => r.actor.endsWith('@cli')),
        channel,
      ).toBe(true);
    }
    // The log itself cannot be rewritten or trimmed, whoever holds the connection.
    expect(() => db.prepare("UPDATE audit SET actor = 'someone else'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit WHERE id = 1').run()).toThrow(/append-only/);
  });

  it('runs the import, search and audit commands of the CLI', async () => {
    await core.close();
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: () => undefined };
    const code = await main(
      [
        'import',
        'notes',
        join(src, 'notes.csv'),
        '--label-col',
        'dx',
        '--label-task',
        'diagnosis',
        '--patient-col',
        'patient',
        '--date-col',
        'date',
        '--home',
        home,
      ],
      io,
    );
    expect(code).toBe(4);
    expect(out.join('\n')).toMatch(/2 record\(s\): 0 new, 0 updated, 2 unchanged/);
    expect(out.join('\n')).toMatch(/line 5: has 4 field\(s\), the header has 5/);
    out.length = 0;
    expect(await main(['search', 'radiating', '--home', home], io)).toBe(0);
    expect(out.join('\n')).toMatch(/\[radiating\]/);
    out.length = 0;
    expect(await main(['audit', '--json', '--limit', '3', '--home', home], io)).toBe(0);
    expect(JSON.parse(out.join('\n'))[0]).toMatchObject({ action: 'notes.search' });
    out.length = 0;
    expect(await main(['search', 'radiating', '--json', '--home', home], io)).toBe(0);
    const found = JSON.parse(out.join('\n')) as ChannelOutput<'notes.search'>;
    expect(found.total).toBe(1);
    expect(found.hits[0]!.highlights).toHaveLength(1);
    out.length = 0;
    expect(await main(['stats', '--json', '--home', home], io)).toBe(0);
    const stats = JSON.parse(out.join('\n')) as ChannelOutput<'store.stats'>;
    expect(stats.schemaVersion).toBeGreaterThanOrEqual(30);
    expect(stats.bytes).toBeGreaterThan(0);
    expect(stats.tables).toMatchObject({
      notes: expect.any(Number),
      audit: expect.any(Number),
      labels: expect.any(Number),
    });
    expect(stats.tables.notes).toBeGreaterThanOrEqual(2);
    expect(Object.keys(stats.tables).some((t) => t.startsWith('notes_fts_'))).toBe(false);
    out.length = 0;
    expect(await main(['stats', '--home', home], io)).toBe(0);
    expect(out.join('\n')).toMatch(/^store: schema \d+/);
    expect(out.join('\n')).toMatch(/\n {2}notes +\d+/);
    core = createCore({ home, mode: 'cli', log: () => undefined });
  });
});
