import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { writeAudit } from '../store/audit.js';
import { writeFileDurably } from '../store/managedFiles.js';
import { getNote, type Note } from '../store/notes.js';
import { findPatientId, getPatient, type Patient } from '../store/patients.js';
import { listWorklist } from '../store/worklist.js';
import { dateOffsetDays, newExportSecret, pseudonym, shiftYmd } from './pseudonyms.js';
import { deidentifyText, type PlaceholderKind } from './text.js';

/** Options of {@link exportNotesDeidentified}. */
export interface NotesExportOptions {
  /** The JSONL file to write (must not exist). */
  readonly out: string;
  /** Only this patient's notes (patient key, as the store holds it). */
  readonly patientKey?: string;
  /** Shift dates by a per-patient offset instead of replacing them with `[DATE]`. */
  readonly retainDates?: boolean;
  readonly actor: string;
  /** The export's secret; a fresh random one when absent. */
  readonly secret?: Uint8Array;
}

/** What a notes export wrote. */
export interface NotesExportReport {
  readonly file: string;
  readonly notes: number;
  readonly patients: number;
  readonly retainDates: boolean;
  /** Replacements by placeholder kind, over all notes. */
  readonly replaced: Readonly<Record<PlaceholderKind, number>>;
}

/** One line of the export file. */
export interface DeidentifiedNote {
  /** 1-based position in the export (the store's ids are not exported). */
  readonly n: number;
  /** Pseudonym of the patient within this export, or null. */
  readonly patient: string | null;
  /** The note's date, shifted with retain-dates, else null. */
  readonly date: string | null;
  readonly kind: string | null;
  readonly title: string | null;
  readonly text: string;
}

const PAGE = 500;

function noteIds(db: Database.Database, patientKey: string | undefined): number[] {
  const ids: number[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = listWorklist(db, {
      kinds: ['note'],
      ...(patientKey === undefined ? {} : { patientKey }),
      sort: 'date',
      limit: PAGE,
      offset,
    });
    ids.push(...page.items.map((i) => i.id));
    if (!page.hasMore) return ids;
  }
}

function shiftIsoDate(value: string, days: number): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s.exec(value);
  if (m === null) return null;
  const s = shiftYmd(Number(m[1]), Number(m[2]), Number(m[3]), days);
  if (s === null) return null;
  return `${s[0]}-${String(s[1]).padStart(2, '0')}-${String(s[2]).padStart(2, '0')}${m[4]}`;
}

/**
 * Exports notes de-identified as JSON lines: dates, phone numbers, e-mail addresses, record
 * numbers and the names and keys known from the patient record (the patient's name fields, the
 * note's author) are replaced with typed placeholders (see {@link deidentifyText}); with
 * `retainDates` dates move by a per-patient offset instead. Patients become pseudonyms of this
 * export; source file names and store ids are not exported. The file is written durably
 * (temporary name, fsync, rename) and one audit row records the export.
 */
export function exportNotesDeidentified(db: Database.Database, options: NotesExportOptions): NotesExportReport {
  const file = resolve(options.out);
  if (existsSync(file)) throw new OslerError('conflict', `${file} exists; export into a new file`);
  if (options.patientKey !== undefined && findPatientId(db, options.patientKey) === null)
    throw new OslerError('not-found', `no patient ${JSON.stringify(options.patientKey)} in the store`);
  const secret = options.secret ?? newExportSecret();
  const retainDates = options.retainDates === true;
  const replaced: Record<PlaceholderKind, number> = { DATE: 0, PHONE: 0, EMAIL: 0, ID: 0, NAME: 0 };
  const patients = new Map<number, Patient | null>();
  const lines: string[] = [];
  for (const id of noteIds(db, options.patientKey)) {
    const note: Note | null = getNote(db, id);
    if (note === null) continue;
    let patient: Patient | null = null;
    if (note.patientId !== null) {
      if (!patients.has(note.patientId)) patients.set(note.patientId, getPatient(db, note.patientId));
      patient = patients.get(note.patientId) ?? null;
    }
    const key = patient?.key ?? note.patientKey;
    const days = retainDates ? dateOffsetDays(secret, key ?? '') : null;
    const ctx = {
      names: [patient?.name, note.author].filter((n): n is string => typeof n === 'string' && n.trim() !== ''),
      ids: [key].filter((k): k is string => typeof k === 'string'),
      dateShiftDays: days,
    };
    const clean = (s: string | null) => {
      if (s === null) return null;
      const r = deidentifyText(s, ctx);
      for (const k of Object.keys(r.counts) as PlaceholderKind[]) replaced[k] += r.counts[k];
      return r.text;
    };
    const line: DeidentifiedNote = {
      n: lines.length + 1,
      patient: key === null ? null : pseudonym(secret, 'P-', key),
      date: days === null || note.date === null ? null : shiftIsoDate(note.date, days),
      kind: clean(note.kind),
      title: clean(note.title),
      text: clean(note.text) ?? '',
    };
    lines.push(JSON.stringify(line));
  }
  writeFileDurably(file, Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`, 'utf8'));
  writeAudit(db, {
    actor: options.actor,
    action: 'export.deidentifyNotes',
    targetKind: options.patientKey === undefined ? null : 'patient',
    targetId: options.patientKey === undefined ? null : findPatientId(db, options.patientKey),
    detail: { notes: lines.length, patients: patients.size, retainDates, file },
  });
  return { file, notes: lines.length, patients: patients.size, retainDates, replaced };
}
