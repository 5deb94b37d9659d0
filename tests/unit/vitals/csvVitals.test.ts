import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../native/store/database.js';
import { getRecording, readAllTimes, readSamples } from '../../../native/store/recordings.js';
import { CsvVitalsError, isVitalsCsvHeader, parseVitalsCsv } from '../../../native/vitals/csvVitals.js';
import { importVitals } from '../../../native/vitals/vitalsImport.js';
import { tempDir } from '../helpers.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const utf16le = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]);
const values = (a: Float32Array | undefined) => Array.from(a ?? [], (v) => (Number.isNaN(v) ? null : +v.toFixed(3)));

describe('vitals CSV parsing', () => {
  it('reads the long layout into irregular series per parameter, with units from a unit column', () => {
    const csv = parseVitalsCsv(
      utf8(
        'Time,Parameter,Value,Unit\n00:00,HR,80,bpm\n00:05,HR,82,bpm\n00:07,SpO2,97,%\n00:30,HR,NA,bpm\n01:10,HR,90,bpm\n',
      ),
    );
    expect(csv.layout).toBe('long');
    const hr = csv.signals.find((s) => s.name === 'HR')!;
    expect(hr).toMatchObject({ unit: 'bpm', samplingHz: null });
    expect(values(hr.values)).toEqual([80, 82, 90]);
    expect(Array.from(hr.timesMs!)).toEqual([0, 300_000, 4_200_000]);
    expect(csv.signals.find((s) => s.name === 'SpO2')).toMatchObject({ unit: '%' });
    expect(csv.lastMs).toBe(4_200_000);
    expect(csv.problems).toEqual([]);
  });

  it('reads the wide layout: evenly spaced rows become a regular signal, empty cells gaps, units from the header', () => {
    const csv = parseVitalsCsv(
      utf8('time (s),HR (bpm),SpO2 [%],ABP\n0,80,97,\n0.5,81,,120\n1,82,98,121\n1.5,83,98,NA\n'),
    );
    expect(csv.layout).toBe('wide');
    expect(csv.signals.map((s) => [s.name, s.unit, s.samplingHz])).toEqual([
      ['HR', 'bpm', 2],
      ['SpO2', '%', 2],
      ['ABP', null, 2],
    ]);
    expect(values(csv.signals[1]!.values)).toEqual([97, null, 98, 98]);
    expect(values(csv.signals[2]!.values)).toEqual([null, 120, 121, null]);
  });

  it('keeps irregular wide rows as irregular series with only the values present, and dates as the start time', () => {
    const csv = parseVitalsCsv(
      utf8(
        'timestamp,HR\n2024-03-01T10:00:00Z,70\n2024-03-01T10:00:05Z,\n2024-03-01T10:01:00Z,72\n2024-03-01T10:03:00Z,75\n',
      ),
    );
    expect(csv.startTime).toBe('2024-03-01T10:00:00.000Z');
    const hr = csv.signals[0]!;
    expect(hr.samplingHz).toBeNull();
    expect(Array.from(hr.timesMs!)).toEqual([0, 60_000, 180_000]);
    expect(values(hr.values)).toEqual([70, 72, 75]);
  });

  it('reads a time column in ms or minutes as its name says', () => {
    expect(parseVitalsCsv(utf8('time_ms,HR\n0,1\n4,2\n8,3\n')).signals[0]!.samplingHz).toBe(250);
    expect(parseVitalsCsv(utf8('t (min),HR\n0,1\n1,2\n2,3\n')).signals[0]!.samplingHz).toBeCloseTo(1 / 60, 9);
  });

  it('detects UTF-16 and Windows-1252, and reads decimal commas in ;-separated files', () => {
    const u16 = parseVitalsCsv(utf16le('Time,Temp (°C)\n0,36.6\n60,36.8\n120,37.0\n'));
    expect(u16.encoding.encoding).toBe('utf-16le');
    expect(u16.signals[0]).toMatchObject({ name: 'Temp', unit: '°C' });
    const latin = parseVitalsCsv(Buffer.from('Zeit;Time;Temp (°C)\nx;0;36,6\ny;60;36,8\nz;120;37,1\n', 'latin1'));
    expect(latin.encoding.encoding).toBe('windows-1252');
    expect(latin.delimiter).toBe(';');
    const temp = latin.signals.find((s) => s.name === 'Temp')!;
    expect(temp.unit).toBe('°C');
    expect(values(temp.values)).toEqual([36.6, 36.8, 37.1]);
  });

  it('reports bad rows and cells with their line and keeps the rest', () => {
    const csv = parseVitalsCsv(utf8('time,HR,RR\n0,80,12\nsoon,81,12\n2,abc,13\n3,83\n4,84,14\n'));
    expect(csv.problems).toEqual([
      { line: 3, message: expect.stringMatching(/time "soon" is not a number/) },
      { line: 5, message: 'has 2 field(s), the header has 3' },
      { line: 4, message: expect.stringMatching(/HR: value "abc" is not a number/) },
    ]);
    // Rows at 0, 2 and 4 s remain, evenly spaced; the unreadable cell is a gap.
    expect(values(csv.signals[0]!.values)).toEqual([80, null, 84]);
    expect(csv.signals[0]!.samplingHz).toBe(0.5);
    const long = parseVitalsCsv(utf8('time,parameter,value,unit\n0,HR,80,bpm\n1,HR,81,/min\n2,HR,x,bpm\n'));
    expect(long.problems.map((p) => p.line)).toEqual([3, 4]);
    expect(long.problems[0]!.message).toMatch(/unit \/min differs from bpm/);
  });

  it('refuses a file it cannot read at all with a typed error', () => {
    expect(() => parseVitalsCsv(utf8('time,HR\n0,"80\n1,81\n'))).toThrow(CsvVitalsError);
    expect(() => parseVitalsCsv(utf8('name,text\na,b\n'))).toThrow(/no time column/);
    expect(() => parseVitalsCsv(utf8('time,HR\nlater,1\n'))).toThrow(/no row with a readable time/);
    expect(isVitalsCsvHeader('id,text,label')).toBe(false);
    expect(isVitalsCsvHeader('Time,Parameter,Value')).toBe(true);
  });
});

describe('vitals CSV import', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('imports long and wide CSVs next to other files, reports per-file and per-row errors, changes nothing on re-import', async () => {
    writeFileSync(
      join(dir.path, 'long.csv'),
      'Time,Parameter,Value,Unit\n00:00,HR,80,bpm\n00:05,HR,82,bpm\n00:07,SpO2,97,%\n',
    );
    writeFileSync(join(dir.path, 'wide.tsv'), 'time (s)\tHR (bpm)\tRR\n0\t80\t12\n1\t81\t\nx\t1\t1\n2\t82\t14\n');
    writeFileSync(join(dir.path, 'broken.csv'), 'time,HR\n0,"80\n1,81\n');
    writeFileSync(join(dir.path, 'notes.csv'), 'id,text\n1,not vitals\n');
    const store = openStore(':memory:');
    try {
      const first = await importVitals(store.db, { path: dir.path, actor: 'test' });
      expect(first).toMatchObject({ records: 2, inserted: 2, failed: 1, signals: 4 });
      expect(first.errors).toEqual(
        expect.arrayContaining([
          { file: 'broken.csv', line: expect.any(Number), message: expect.stringMatching(/nothing from this file/) },
          { file: 'wide.tsv', line: 4, message: expect.stringMatching(/time "x"/) },
        ]),
      );
      const ids = store.db
        .prepare("SELECT id FROM recordings WHERE kind = 'csv' ORDER BY source_key")
        .pluck()
        .all() as number[];
      const long = getRecording(store.db, ids[0]!)!;
      expect(long.signals.map((s) => [s.name, s.unit, s.samplingHz])).toEqual([
        ['HR', 'bpm', null],
        ['SpO2', '%', null],
      ]);
      expect(Array.from(readAllTimes(store.db, long.signals[0]!))).toEqual([0, 300_000]);
      const wide = getRecording(store.db, ids[1]!)!;
      expect(wide.signals.map((s) => [s.name, s.unit, s.samplingHz])).toEqual([
        ['HR', 'bpm', 1],
        ['RR', null, 1],
      ]);
      expect(values(readSamples(store.db, wide.signals[1]!.id, 0, 3).values)).toEqual([12, null, 14]);
      const again = await importVitals(store.db, { path: dir.path, actor: 'test' });
      expect(again).toMatchObject({ records: 2, unchanged: 2, inserted: 0, failed: 1 });
    } finally {
      store.close();
    }
  });
});
