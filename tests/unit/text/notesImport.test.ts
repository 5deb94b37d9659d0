import iconv from 'iconv-lite';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listAudit } from '../../../native/store/audit.js';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { currentLabels } from '../../../native/store/labels.js';
import { getNote, searchNotes } from '../../../native/store/notes.js';
import { importNotes, type NotesImportOptions } from '../../../native/text/notesImport.js';
import { MAX_NOTE_CHARS } from '../../../native/text/records.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
let dir: ReturnType<typeof tempDir>;
let store: StoreHandle;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());
beforeEach(() => {
  store?.close();
  store = openStore(':memory:');
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir.path, name);
  writeFileSync(path, content);
  return path;
}

const run = (o: Omit<NotesImportOptions, 'actor'>) => importNotes(store.db, { actor: 'test', ...o });
const texts = () => store.db.prepare('SELECT text FROM notes ORDER BY id').pluck().all() as string[];

describe('notes import: CSV and TSV', () => {
  it('reads CRLF files with quoted multi-line fields, quotes inside fields and labels', async () => {
    const path = file(
      'crlf.csv',
      'id,note,dx,patient,date\r\n' +
        '1,"Chest pain\r\nradiating to the ""left"" arm",MI,P1,2024-01-05\r\n' +
        '2,Cough,URI,P2,20240106\r\n' +
        '\r\n' +
        '3,"multi\r\nline\r\nnote",MI,P1,\r\n',
    );
    const s = await run({
      path,
      textCol: ['note'],
      labelCol: ['dx'],
      labelTask: ['diagnosis'],
      patientCol: 'patient',
      dateCol: 'date',
    });
    expect(s).toMatchObject({
      format: 'csv',
      records: 3,
      inserted: 3,
      failed: 0,
      labelsWritten: 3,
      patients: 2,
      complete: true,
    });
    expect(s.encoding).toMatchObject({ encoding: 'utf-8', method: 'ascii' });
    expect(texts()).toEqual(['Chest pain\nradiating to the "left" arm', 'Cough', 'multi\nline\nnote']);
    const n = getNote(store.db, 1)!;
    expect(n).toMatchObject({ patientKey: 'P1', date: '2024-01-05', sourceKey: '1' });
    expect(getNote(store.db, 2)!.date).toBe('2024-01-06');
    expect(currentLabels(store.db, { kind: 'note', id: 1 }, 'diagnosis')).toMatchObject([
      { value: 'MI', source: 'imported' },
    ]);
    expect(listAudit(store.db, { action: 'import.notes', limit: 5 })).toHaveLength(1);
  });

  it('re-importing the same file changes nothing', async () => {
    const path = file('again.csv', 'text,label\n"a b",x\nc d,y\n');
    await run({ path, labelCol: ['label'] });
    const before = store.db.prepare('SELECT count(*) FROM labels').pluck().get();
    const s = await run({ path, labelCol: ['label'] });
    expect(s).toMatchObject({ inserted: 0, updated: 0, unchanged: 2, labelsWritten: 0 });
    expect(store.db.prepare('SELECT count(*) FROM labels').pluck().get()).toBe(before);
    expect(store.db.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(2);
  });

  it('reports malformed rows with their line numbers and imports the rest', async () => {
    const path = file(
      'bad.csv',
      'id,text\n' + // 1
        '1,"fine\nover two lines"\n' + // 2-3
        '2\n' + // 4: too few fields
        '3,ok,extra\n' + // 5: too many
        '4,\n' + // 6: empty text
        '1,duplicate id\n' + // 7
        '5,"last one"\n', // 8
    );
    const s = await run({ path });
    expect(s.records).toBe(2);
    expect(s.failed).toBe(4);
    expect(s.errors.map((e) => [e.line, e.message])).toEqual([
      [4, 'has 1 field(s), the header has 2'],
      [5, 'has 3 field(s), the header has 2'],
      [6, 'empty text in text'],
      [7, 'id "1" was already used on line 2'],
    ]);
    expect(s.complete).toBe(true);
    expect(texts()).toEqual(['fine\nover two lines', 'last one']);
  });

  it('reports a quote that is never closed, keeping everything before it', async () => {
    const path = file('quote.csv', 'id,text\n1,good\n2,"broken\n3,swallowed\n');
    const s = await run({ path });
    expect(texts()).toEqual(['good']);
    expect(s.complete).toBe(false);
    expect(s.errors).toEqual([{ file: null, line: 3, message: expect.stringMatching(/quoted field is never closed/) }]);
  });

  it('refuses a 50 MB note with a clear error and keeps the notes before it', async () => {
    const path = file('huge.csv', `id,text\n1,small\n2,"${'x'.repeat(50 * 1024 * 1024)}"\n3,after\n`);
    const s = await run({ path });
    expect(texts()).toEqual(['small']);
    expect(s.complete).toBe(false);
    expect(s.errors[0]).toMatchObject({
      line: 3,
      message: expect.stringContaining(`longer than ${MAX_NOTE_CHARS} characters`),
    });
  });

  it('reads TSV, joins several text columns, maps columns by index and refuses unknown columns', async () => {
    const path = file('d.tsv', 'num\tbenefits\tside\trating\r\n7\t"helped\r\na lot"\tnausea\t9\r\n8\tnone\t\t2\r\n');
    const s = await run({ path, textCol: ['benefits', '#3'], labelCol: ['RATING'], idCol: 'num' });
    expect(s).toMatchObject({ format: 'tsv', records: 2, labelsWritten: 2 });
    expect(texts()).toEqual(['helped\na lot\n\nnausea', 'none']);
    await expect(run({ path, textCol: ['nope'] })).rejects.toThrow(
      /--text-col "nope" names no column; columns are "num", "benefits", "side", "rating"/,
    );
    await expect(
      run({ path, textCol: ['benefits'], labelCol: ['rating', 'side'], labelTask: ['one'] }),
    ).rejects.toThrow(/--label-task names 1 task/);
  });

  it('detects and reports UTF-16 and Latin-1 files', async () => {
    const csv = 'text,label\n"Zoë has fièvre, “high”",a\nMüller,b\n';
    const u16 = file('u16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode(csv, 'utf-16le')]));
    const s16 = await run({ path: u16, labelCol: ['label'] });
    expect(s16.encoding).toMatchObject({ encoding: 'utf-16le', bom: true, method: 'bom' });
    expect(texts()).toEqual(['Zoë has fièvre, “high”', 'Müller']);
    const latin = file(
      'latin.csv',
      iconv.encode('text\n"Zoë Müller a de la fièvre élevée, très élevée"\nplain, unquoted\n', 'windows-1252'),
    );
    const sl = await run({ path: latin });
    expect(sl.encoding).toMatchObject({ encoding: 'windows-1252', method: 'chardet' });
    expect(texts().at(-1)).toBe('Zoë Müller a de la fièvre élevée, très élevée');
    // The first data row is checked against the header too, not against the next row.
    expect(sl.errors).toEqual([{ file: null, line: 3, message: 'has 2 field(s), the header has 1' }]);
    const forced = await run({ path: latin, encoding: 'latin1', sourceName: 'forced' });
    expect(forced.encoding).toMatchObject({ encoding: 'iso-8859-1', method: 'forced' });
  });
});

describe('notes import: JSONL and .txt folders', () => {
  it('reads JSONL objects, reporting bad lines by number', async () => {
    const path = file(
      'n.jsonl',
      '{"id": 1, "text": "first", "y": "pos"}\n\nnot json\n[1]\n{"id": 2, "text": "second", "y": 3}\n',
    );
    const s = await run({ path, labelCol: ['y'] });
    expect(s).toMatchObject({ format: 'jsonl', records: 2, failed: 2, labelsWritten: 2 });
    expect(s.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(s.errors[0]!.message).toMatch(/not valid JSON/);
  });

  it('reads a folder of .txt files recursively, one note per file, encodings per file', async () => {
    const root = join(dir.path, 'txt');
    mkdirSync(join(root, 'cardiology'), { recursive: true });
    writeFileSync(join(root, 'a.txt'), 'plain note\r\n');
    writeFileSync(
      join(root, 'cardiology', 'b.txt'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), iconv.encode('Zoë, fièvre', 'utf-16le')]),
    );
    writeFileSync(join(root, 'ignored.md'), 'not a note');
    const s = await run({ path: root, labelCol: ['folder'], labelTask: ['specialty'] });
    expect(s).toMatchObject({ format: 'txt', records: 2, labelsWritten: 1, encodings: { 'utf-8': 1, 'utf-16le': 1 } });
    expect(texts()).toEqual(['plain note', 'Zoë, fièvre']);
    expect(getNote(store.db, 2)).toMatchObject({ title: 'b', sourceKey: 'cardiology/b.txt' });
    expect((await run({ path: root })).unchanged).toBe(2);
  });
});

describe('notes import: real shared data', () => {
  it.skipIf(!data)('imports the medical abstracts with their condition labels, and searches them', async () => {
    const s = await run({
      path: join(data!, 'text/medical-abstracts/abstracts.csv'),
      labelCol: ['condition_label'],
      labelTask: ['condition'],
    });
    expect(s).toMatchObject({ records: 2310, inserted: 2310, failed: 0, labelsWritten: 2310, complete: true });
    const counts = store.db
      .prepare("SELECT value, count(*) AS n FROM labels WHERE task = 'condition' GROUP BY value ORDER BY value")
      .all();
    expect(counts).toHaveLength(5);
    const r = searchNotes(store.db, 'myocardial infarction', { limit: 5 });
    expect(r.total).toBeGreaterThan(50);
    expect(r.hits[0]!.highlights.length).toBeGreaterThan(0);
  });

  it.skipIf(!data)('imports all five mtsamples parts (4,999 notes, 40 specialties) and both druglib TSVs', async () => {
    for (let i = 1; i <= 5; i++)
      await run({
        path: join(data!, `text/mtsamples/mtsamples_part${i}.csv`),
        textCol: ['transcription'],
        labelCol: ['medical_specialty'],
        labelTask: ['specialty'],
        titleCol: 'sample_name',
      });
    expect(store.db.prepare('SELECT count(*) FROM notes').pluck().get()).toBe(4999);
    expect(store.db.prepare("SELECT count(DISTINCT value) FROM labels WHERE task = 'specialty'").pluck().get()).toBe(
      40,
    );
    for (const name of ['drugLibTrain_raw.tsv', 'drugLibTest_raw.tsv']) {
      const s = await run({
        path: join(data!, 'text/druglib', name),
        textCol: ['benefitsReview', 'sideEffectsReview', 'commentsReview'],
        labelCol: ['rating', 'effectiveness', 'sideEffects', 'condition'],
        idCol: 'num',
      });
      expect(s.failed).toBe(0);
      expect(s.records).toBe(name.includes('Train') ? 3107 : 1036);
    }
  });
});
