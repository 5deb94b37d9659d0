import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../../native/store/audit.js';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { currentLabels } from '../../../native/store/labels.js';
import { countRecordingAnnotations, getRecording, readSamples } from '../../../native/store/recordings.js';
import { parseStay } from '../../../native/vitals/physionet2012.js';
import { importVitals } from '../../../native/vitals/vitalsImport.js';
import { dataDir, tempDir } from '../helpers.js';
import { enc212, encAnnotations } from './fixtures.js';

const data = dataDir();
let dir: ReturnType<typeof tempDir>;
let store: StoreHandle;
beforeAll(() => {
  dir = tempDir();
  const w = join(dir.path, 'wfdb');
  mkdirSync(join(w, 'good'), { recursive: true });
  mkdirSync(join(w, 'liar'), { recursive: true });
  writeFileSync(
    join(w, 'good', 'g.hea'),
    'g 2 100 3 10:00:00 01/02/2020\ng.dat 212 100 12 0 1 6 0 II\ng.dat 212 50 12 0 -1 -6 0 V\n#Asystole\n#False alarm\n',
  );
  writeFileSync(join(w, 'good', 'g.dat'), enc212([1, -1, 2, -2, 3, -3]));
  writeFileSync(
    join(w, 'good', 'g.atr'),
    encAnnotations([
      { sample: 1, code: 1 },
      { sample: 2, code: 5 },
    ]),
  );
  writeFileSync(join(w, 'good', 'g.broken'), Buffer.from([0x05, 0xd0]));
  writeFileSync(join(w, 'liar', 'l.hea'), 'l 1 100 100000\nl.dat 16 200 16 0\n');
  writeFileSync(join(w, 'liar', 'l.dat'), Buffer.alloc(100));
  const p = join(dir.path, 'p2012');
  mkdirSync(join(p, 'set-a'), { recursive: true });
  writeFileSync(
    join(p, 'set-a', '1001.txt'),
    'Time,Parameter,Value\n00:00,RecordID,1001\n00:00,Age,54\n00:00,Gender,0\n00:00,Height,-1\n00:00,ICUType,4\n00:00,Weight,-1\n00:07,HR,73\n00:37,HR,77\n01:00,Weight,80.5\nbad line\n',
  );
  writeFileSync(
    join(p, 'set-a', '1002.txt'),
    'Time,Parameter,Value\n00:00,RecordID,1002\n00:00,Gender,1\n00:10,SpO2,97\n',
  );
  writeFileSync(
    join(p, 'Outcomes-a.txt'),
    'RecordID,SAPS-I,SOFA,Length_of_stay,Survival,In-hospital_death\n1001,6,1,5,-1,0\n1002,16,8,8,3,1\n9999,1,1,1,1,1\n',
  );
});
afterAll(() => dir.cleanup());
beforeEach(() => {
  store?.close();
  store = openStore(':memory:');
});

describe('vitals import', () => {
  it('imports WFDB records with annotations and header labels; a lying header is reported, the rest imported', async () => {
    const s = await importVitals(store.db, { path: join(dir.path, 'wfdb'), actor: 't' });
    expect(s).toMatchObject({
      records: 1,
      inserted: 1,
      failed: 1,
      wfdbRecords: 1,
      signals: 2,
      samples: 6,
      annotations: 2,
      labelsWritten: 2,
    });
    expect(s.errors).toEqual([
      {
        file: 'good/g.broken',
        line: 0,
        message: expect.stringMatching(/unknown annotation code 52.*annotations not imported/),
      },
      {
        file: 'liar/l.hea',
        line: 0,
        message: 'the header promises 100000 samples per signal but l.dat holds only 50 (100 bytes)',
      },
    ]);
    const rec = getRecording(store.db, 1)!;
    expect(rec).toMatchObject({ kind: 'wfdb', startTime: '2020-02-01T10:00:00', durationS: 0.03, sourceKey: 'g' });
    expect(Array.from(readSamples(store.db, rec.signals[1]!.id, 0, 3).values)).toEqual(
      [-0.02, -0.04, -0.06].map(Math.fround),
    );
    expect(countRecordingAnnotations(store.db, 1)).toEqual([
      { source: 'atr', symbol: 'N', count: 1 },
      { source: 'atr', symbol: 'V', count: 1 },
    ]);
    expect(currentLabels(store.db, { kind: 'recording', id: 1 }, 'alarm-true')[0]!.value).toBe('false');
    expect(listAudit(store.db, { action: 'import.vitals', limit: 1 })[0]!.detail).toMatchObject({
      records: 1,
      failed: 1,
    });
    const again = await importVitals(store.db, { path: join(dir.path, 'wfdb'), actor: 't' });
    expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, labelsWritten: 0 });
  });

  it('imports PhysioNet 2012 stays as irregular series, descriptors as metadata, outcomes as labels', async () => {
    const s = await importVitals(store.db, { path: join(dir.path, 'p2012'), actor: 't' });
    expect(s).toMatchObject({ stays: 2, inserted: 2, signals: 3, samples: 4 });
    expect(s.errors).toEqual([
      { file: 'set-a/1001.txt', line: 11, message: 'expected Time,Parameter,Value, got 1 field(s)' },
      { file: 'Outcomes-a.txt', line: 0, message: expect.stringMatching(/^1 outcome row/) },
    ]);
    const rec = getRecording(store.db, 1)!;
    expect(rec).toMatchObject({
      patientKey: 'physionet2012:1001',
      source: 'physionet2012/set-a',
      metadata: { descriptors: { ageYears: 54, gender: 0, heightCm: null } },
    });
    const hr = rec.signals.find((x) => x.name === 'HR')!;
    expect(hr).toMatchObject({ unit: 'bpm', samplingHz: null, sampleCount: 2 });
    expect(Array.from(readSamples(store.db, hr.id, 0, 2).timesMs!)).toEqual([7 * 60_000, 37 * 60_000]);
    const label = (id: number, task: string) => currentLabels(store.db, { kind: 'recording', id }, task)[0]?.value;
    expect([
      label(1, 'in-hospital-death'),
      label(1, 'sofa'),
      label(1, 'survival-days'),
      label(2, 'in-hospital-death'),
    ]).toEqual(['0', '1', undefined, '1']);
    expect((await importVitals(store.db, { path: join(dir.path, 'p2012'), actor: 't' })).unchanged).toBe(2);
  });

  it('parses the 00:00 descriptor block apart from later measurements of the same name', () => {
    const stay = parseStay(
      'Time,Parameter,Value\n00:00,RecordID,5\n00:00,Weight,70\n00:00,Weight,71\n48:00,Weight,72\n',
      'x',
    );
    expect(stay.descriptors).toMatchObject({ recordId: '5', weightKg: 70 });
    expect(stay.series[0]).toMatchObject({ parameter: 'Weight' });
    expect(Array.from(stay.series[0]!.values)).toEqual([71, 72]);
    expect(stay.lastMs).toBe(48 * 3_600_000);
  });

  it.skipIf(!data)('imports all six real WFDB folders: seven records, 100.atr with 2,273 beats', async () => {
    const s = await importVitals(store.db, { path: join(data!, 'vitals/wfdb'), actor: 't' });
    expect(s).toMatchObject({ records: 7, failed: 0, errors: [] });
    const rec = store.db.prepare("SELECT id FROM recordings WHERE source_key = '100'").pluck().get() as number;
    const atr = countRecordingAnnotations(store.db, rec).filter((c) => c.source === 'atr' && c.symbol !== '+');
    expect(atr.reduce((n, c) => n + c.count, 0)).toBe(2273);
    const ptb = getRecording(
      store.db,
      store.db.prepare("SELECT id FROM recordings WHERE source_key = 's0010_re'").pluck().get() as number,
    )!;
    expect(ptb.signals).toHaveLength(15);
  });

  it.skipIf(!data)('imports PhysioNet 2012 set-A stays (first 100 here; the benchmark imports all 4,000)', async () => {
    const s = await importVitals(store.db, { path: join(data!, 'vitals/physionet2012'), actor: 't', limit: 100 });
    expect(s).toMatchObject({ stays: 100, failed: 0, errors: [] });
    expect(store.db.prepare("SELECT count(*) FROM labels WHERE task = 'in-hospital-death'").pluck().get()).toBe(100);
  });
});
