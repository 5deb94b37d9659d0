import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OslerError } from '../../../native/contract/result.js';
import { exportNotesDeidentified, type DeidentifiedNote } from '../../../native/deid/notesExport.js';
import { dateOffsetDays, shiftYmd } from '../../../native/deid/pseudonyms.js';
import { listAudit } from '../../../native/store/audit.js';
import { openStore, type StoreHandle } from '../../../native/store/database.js';
import { getNote, upsertNote } from '../../../native/store/notes.js';
import { ensurePatient, getPatient } from '../../../native/store/patients.js';
import { importNotes } from '../../../native/text/notesImport.js';
import { dataDir, tempDir } from '../helpers.js';
import { findEncoded } from './fixtures.js';

const SECRET = new Uint8Array(32).fill(3);
const data = dataDir();

const readJsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as DeidentifiedNote);

/** Identifiers planted in synthetic notes; every one must be gone from the export. */
const PLANTED = [
  'Hildegard',
  'Testperson',
  'Plantedauthor',
  'Rexford',
  'MRN-7781',
  '00482913',
  '2024-03-05',
  '03/19/2024',
  'April 2, 2024',
  'hildegard.t@example.org',
  '(555) 123-4567',
  '555.987.6543',
  '123-45-6789',
  'Brunhilde',
  'Otherperson',
  'OTH-2',
  '2023-11-30',
];

describe('de-identified notes export', () => {
  const tmp = tempDir('osler-deid-notes-');
  let store: StoreHandle;

  beforeAll(() => {
    mkdirSync(join(tmp.path, 'home'));
    store = openStore(join(tmp.path, 'home', 'osler.sqlite'));
    const db = store.db;
    const p1 = ensurePatient(db, 'MRN-7781', { name: 'TESTPERSON^HILDEGARD', birthDate: '1947-11-03' });
    const p2 = ensurePatient(db, 'OTH-2', { name: 'Brunhilde Otherperson' });
    upsertNote(db, {
      source: 'synthetic.csv',
      sourceKey: '1',
      patientId: p1,
      author: 'Plantedauthor, Rexford',
      date: '2024-03-05',
      title: 'Clinic letter for Hildegard Testperson',
      text:
        'Mrs Testperson (MRN 00482913, key MRN-7781) was seen on 2024-03-05 by Dr Plantedauthor.\n' +
        'Follow-up 03/19/2024 and April 2, 2024. Contact hildegard.t@example.org or (555) 123-4567, ' +
        'alt 555.987.6543. SSN 123-45-6789. BP 120/80, HR 88, creatinine 1.2. Hildegard agrees.',
    });
    upsertNote(db, {
      source: 'synthetic.csv',
      sourceKey: '2',
      patientId: p2,
      date: '2023-11-30',
      text: 'Brunhilde Otherperson (OTH-2) admitted 2023-11-30 with pneumonia.',
    });
  });
  afterAll(() => {
    store.close();
    tmp.cleanup();
  });

  it('replaces every planted identifier with a typed placeholder and writes one audit row', () => {
    const file = join(tmp.path, 'notes.jsonl');
    const r = exportNotesDeidentified(store.db, { out: file, actor: 'test', secret: SECRET });
    expect(r).toMatchObject({ notes: 2, patients: 2, retainDates: false });
    const bytes = readFileSync(file);
    // The search sees the values where they are: every one is in the stored notes and patients.
    const stored = Buffer.from(
      JSON.stringify([getNote(store.db, 1), getNote(store.db, 2), getPatient(store.db, 1), getPatient(store.db, 2)]),
    );
    for (const p of PLANTED) expect({ p, found: findEncoded(stored, p).length > 0 }).toEqual({ p, found: true });
    expect(PLANTED.flatMap((p) => findEncoded(bytes, p))).toEqual([]);
    const notes = readJsonl(file);
    expect(notes).toHaveLength(2);
    const letter = notes.find((n) => n.text.includes('creatinine'))!;
    expect(letter.title).toBe('Clinic letter for [NAME] [NAME]');
    for (const placeholder of ['[NAME]', '[ID]', '[DATE]', '[EMAIL]', '[PHONE]'])
      expect(letter.text).toContain(placeholder);
    expect(letter.text).toContain('BP 120/80, HR 88, creatinine 1.2');
    expect(letter.date).toBeNull();
    expect(letter.patient).toMatch(/^P-[0-9A-F]{10}$/);
    expect(r.replaced.NAME).toBeGreaterThanOrEqual(5);
    const audit = listAudit(store.db, { action: 'export.deidentifyNotes', limit: 5 });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.detail).toMatchObject({ notes: 2, retainDates: false });
    expect(JSON.stringify(audit[0]!.detail)).not.toContain('Hildegard');
  });

  it('shifts dates by one offset per patient with --retain-dates', () => {
    const file = join(tmp.path, 'notes-dates.jsonl');
    exportNotesDeidentified(store.db, { out: file, actor: 'test', secret: SECRET, retainDates: true });
    const notes = readJsonl(file);
    const letter = notes.find((n) => n.text.includes('creatinine'))!;
    const other = notes.find((n) => n.text.includes('pneumonia'))!;
    const iso = (y: number, m: number, d: number, days: number) =>
      shiftYmd(y, m, d, days)!
        .map((v, i) => String(v).padStart(i === 0 ? 4 : 2, '0'))
        .join('-');
    const d1 = dateOffsetDays(SECRET, 'MRN-7781');
    const d2 = dateOffsetDays(SECRET, 'OTH-2');
    expect(letter.date).toBe(iso(2024, 3, 5, d1));
    expect(letter.text).toContain(`seen on ${iso(2024, 3, 5, d1)}`);
    expect(other.date).toBe(iso(2023, 11, 30, d2));
    expect(other.text).toContain(`admitted ${iso(2023, 11, 30, d2)}`);
    expect(PLANTED.flatMap((p) => findEncoded(readFileSync(file), p))).toEqual([]);
  });

  it('exports one patient with --patient, and refuses an unknown patient or an existing file', () => {
    const file = join(tmp.path, 'one.jsonl');
    expect(exportNotesDeidentified(store.db, { out: file, actor: 'test', patientKey: 'OTH-2' }).notes).toBe(1);
    expect(readJsonl(file)[0]!.text).toBe('[NAME] ([ID]) admitted [DATE] with pneumonia.');
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return e instanceof OslerError ? e.code : 'other';
      }
      return 'none';
    };
    expect(codeOf(() => exportNotesDeidentified(store.db, { out: file, actor: 'test' }))).toBe('conflict');
    const missing = join(tmp.path, 'missing.jsonl');
    expect(codeOf(() => exportNotesDeidentified(store.db, { out: missing, actor: 'test', patientKey: 'nobody' }))).toBe(
      'not-found',
    );
    expect(existsSync(missing)).toBe(false);
  });
});

describe.skipIf(!data)('de-identified export of real notes (mtsamples part 1)', () => {
  const tmp = tempDir('osler-deid-mts-');
  afterAll(() => tmp.cleanup());

  it('imports and exports every note, keeping the clinical text', async () => {
    mkdirSync(join(tmp.path, 'home'));
    const store = openStore(join(tmp.path, 'home', 'osler.sqlite'));
    try {
      const imported = await importNotes(store.db, {
        path: join(data!, 'text', 'mtsamples', 'mtsamples_part1.csv'),
        textCol: ['transcription'],
        titleCol: 'sample_name',
        actor: 'test',
      });
      const count = imported.records;
      expect(count).toBeGreaterThan(500);
      const file = join(tmp.path, 'mts.jsonl');
      const r = exportNotesDeidentified(store.db, { out: file, actor: 'test' });
      expect(r.notes).toBe(count);
      const notes = readJsonl(file);
      expect(notes).toHaveLength(count);
      expect(notes.every((n) => n.text.length > 0)).toBe(true);
      // Clinical vocabulary survives; transcription dates are replaced.
      const all = notes.map((n) => n.text).join('\n');
      expect(all).toMatch(/\bhypertension\b/i);
      expect(all).not.toMatch(/\b\d{1,2}\/\d{1,2}\/\d{4}\b/);
      expect(r.replaced.DATE).toBeGreaterThan(0);
    } finally {
      store.close();
    }
  });
});
