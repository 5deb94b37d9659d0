import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { writeAudit } from '../store/audit.js';
import { importLabel } from '../store/labels.js';
import { upsertNote } from '../store/notes.js';
import { ensurePatient } from '../store/patients.js';
import type { EncodingChoice } from './encoding.js';
import { normaliseEncoding } from './encoding.js';
import { openFileSource, openFolderSource, type NotesFormat, type OpenedSource } from './records.js';

/** What to import and how the columns map. Column names match case-insensitively; `#3` is the third column. */
export interface NotesImportOptions {
  /** A CSV/TSV/JSONL file or a folder of .txt files. */
  readonly path: string;
  readonly format?: NotesFormat;
  /** Force an encoding instead of detecting it (`utf-8`, `latin1`, `utf-16le` ...). */
  readonly encoding?: string;
  /** Column(s) holding the text; several are joined with a blank line. Guessed when absent. */
  readonly textCol?: readonly string[];
  /** Column(s) holding labels; each becomes a label row with source `imported`. */
  readonly labelCol?: readonly string[];
  /** Task name per label column (default: the column name). */
  readonly labelTask?: readonly string[];
  readonly idCol?: string;
  readonly patientCol?: string;
  readonly dateCol?: string;
  readonly titleCol?: string;
  /** Note kind stored on every note (for example `abstract`, `transcription`). */
  readonly kind?: string;
  /** Name identifying the source for de-duplication (default: the resolved path). */
  readonly sourceName?: string;
  /** Stop after this many records (benchmarks and tests). */
  readonly limit?: number;
  /** Records per transaction. */
  readonly batchSize?: number;
  /** Who runs the import, for the audit row. */
  readonly actor: string;
}

/** Progress of a running import. */
export interface ImportProgress {
  readonly records: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

/** A record that was not imported, and why. */
export interface RecordError {
  /** File inside a folder source, else null. */
  readonly file: string | null;
  /** First line of the record (1-based); 0 for a whole file. */
  readonly line: number;
  readonly message: string;
}

/** Most record errors listed in a summary (all are counted). */
export const MAX_LISTED_ERRORS = 500;

/** What a notes import did. */
export interface NotesImportSummary extends ImportProgress {
  readonly source: string;
  readonly format: NotesFormat;
  /** Encoding of a file, or per-encoding file counts of a folder. */
  readonly encoding: EncodingChoice | null;
  readonly encodings: Record<string, number>;
  readonly columns: {
    readonly text: readonly string[];
    readonly labels: ReadonlyArray<{ readonly column: string; readonly task: string }>;
    readonly id: string | null;
    readonly patient: string | null;
    readonly date: string | null;
    readonly title: string | null;
  };
  readonly labelsWritten: number;
  readonly patients: number;
  readonly errors: readonly RecordError[];
  /** False when reading stopped early (an unclosed quote, an oversized record, cancellation). */
  readonly complete: boolean;
  readonly durationMs: number;
}

/** Hooks of a running import. */
export interface ImportHooks {
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly signal?: AbortSignal;
}

const TEXT_GUESSES = [
  'text',
  'note',
  'notes',
  'note_text',
  'transcription',
  'medical_abstract',
  'abstract',
  'body',
  'content',
  'report',
  'review',
];
const ID_GUESSES = ['id', 'note_id', 'noteid'];

function resolveColumn(spec: string, columns: readonly string[], flag: string, where: string): string {
  const exact = columns.find((c) => c === spec) ?? columns.find((c) => c.toLowerCase() === spec.toLowerCase());
  if (exact !== undefined) return exact;
  const index = /^#?(\d+)$/.exec(spec.trim());
  if (index !== null) {
    const i = Number(index[1]);
    if (i >= 1 && i <= columns.length) return columns[i - 1]!;
  }
  const list = columns.length > 0 ? columns.map((c) => JSON.stringify(c)).join(', ') : '(none)';
  throw new OslerError('invalid-input', `${where}: ${flag} "${spec}" names no column; columns are ${list}`);
}

/** Strips control characters other than tab and newline (they break FTS highlighting and displays). */
function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
}

/** ISO form of a date field: YYYY-MM-DD or a full ISO date-time; null when unreadable. */
export function normaliseDate(value: string): string | null {
  const v = value.trim();
  if (v === '') return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return Number.isNaN(Date.parse(v)) ? null : v;
  if (/^\d{8}$/.test(v)) return normaliseDate(`${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`);
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(v)) {
    const t = Date.parse(v.replace(' ', 'T'));
    return Number.isNaN(t) ? null : v.replace(' ', 'T');
  }
  return null;
}

async function openSource(path: string, options: NotesImportOptions): Promise<OpenedSource> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new OslerError('not-found', `${path}: no such file or folder`);
  }
  let encoding;
  if (options.encoding !== undefined) {
    encoding = normaliseEncoding(options.encoding);
    if (encoding === null) throw new OslerError('invalid-input', `unknown encoding "${options.encoding}"`);
  }
  if (info.isDirectory()) {
    if (options.format !== undefined && options.format !== 'txt')
      throw new OslerError('invalid-input', `${path} is a folder; only a folder of .txt files can be imported`);
    return openFolderSource(path, encoding === undefined ? {} : { encoding });
  }
  if (!info.isFile()) throw new OslerError('invalid-input', `${path} is not a regular file`);
  if (options.format === 'txt') throw new OslerError('invalid-input', `${path} is a file; --format txt needs a folder`);
  return openFileSource(path, {
    ...(options.format === undefined ? {} : { format: options.format }),
    ...(encoding === undefined ? {} : { encoding }),
  });
}

/**
 * Imports notes (and their labels) from a CSV/TSV/JSONL file or a folder of .txt files into the
 * store. Streams the source, committing every `batchSize` records, so memory stays flat and a
 * killed import loses at most one batch; notes are keyed by (source, id column or `row:N` or
 * file path), so re-importing the same source changes nothing. Malformed records are reported
 * with their line and skipped; the rest of the file is imported. Runs the same in-process and in
 * a worker (it only needs a connection).
 */
export async function importNotes(
  db: Database.Database,
  options: NotesImportOptions,
  hooks: ImportHooks = {},
): Promise<NotesImportSummary> {
  const started = performance.now();
  const path = resolve(options.path);
  const source = options.sourceName ?? path;
  const opened = await openSource(path, options);
  const where = path;
  const cols = opened.columns;
  const textCols =
    options.textCol !== undefined && options.textCol.length > 0
      ? options.textCol.map((c) => resolveColumn(c, cols, '--text-col', where))
      : (() => {
          const guess = TEXT_GUESSES.map((g) => cols.find((c) => c.toLowerCase() === g)).find((c) => c !== undefined);
          if (guess === undefined)
            throw new OslerError(
              'invalid-input',
              `${where}: no text column found; name it with --text-col (columns: ${cols.join(', ')})`,
            );
          return [guess];
        })();
  const labelCols = (options.labelCol ?? []).map((c) => resolveColumn(c, cols, '--label-col', where));
  const tasks = options.labelTask ?? [];
  if (tasks.length > 0 && tasks.length !== labelCols.length)
    throw new OslerError(
      'invalid-input',
      `--label-task names ${tasks.length} task(s) for ${labelCols.length} label column(s)`,
    );
  for (const t of tasks)
    if (!/^[\w.-]{1,64}$/.test(t))
      throw new OslerError('invalid-input', `--label-task "${t}": use 1-64 letters, digits, . _ or -`);
  const labels = labelCols.map((column, i) => ({ column, task: tasks[i] ?? column }));
  const idCol =
    options.idCol !== undefined
      ? resolveColumn(options.idCol, cols, '--id-col', where)
      : opened.format === 'txt'
        ? 'file'
        : (ID_GUESSES.map((g) => cols.find((c) => c.toLowerCase() === g)).find((c) => c !== undefined) ?? null);
  const patientCol =
    options.patientCol === undefined ? null : resolveColumn(options.patientCol, cols, '--patient-col', where);
  const dateCol = options.dateCol === undefined ? null : resolveColumn(options.dateCol, cols, '--date-col', where);
  const titleCol =
    options.titleCol !== undefined
      ? resolveColumn(options.titleCol, cols, '--title-col', where)
      : opened.format === 'txt'
        ? 'name'
        : null;

  const batchSize = options.batchSize ?? 500;
  const errors: RecordError[] = [];
  let failed = 0;
  const counts = { records: 0, inserted: 0, updated: 0, unchanged: 0 };
  let labelsWritten = 0;
  const patientKeys = new Set<string>();
  const seenKeys = new Map<string, number>();
  let complete = true;
  let ordinal = 0;

  const report = (e: RecordError) => {
    failed++;
    if (errors.length < MAX_LISTED_ERRORS) errors.push(e);
  };

  interface Pending {
    key: string;
    text: string;
    patient: string | null;
    date: string | null;
    title: string | null;
    labels: Array<{ task: string; value: string }>;
  }
  let batch: Pending[] = [];
  const flush = db.transaction((rows: Pending[]) => {
    for (const r of rows) {
      const patientId = r.patient === null ? null : ensurePatient(db, r.patient);
      const { id, outcome } = upsertNote(db, {
        source,
        sourceKey: r.key,
        text: r.text,
        patientId,
        title: r.title,
        kind: options.kind ?? null,
        date: r.date,
      });
      counts[outcome]++;
      for (const l of r.labels) if (importLabel(db, { kind: 'note', id }, l.task, l.value, null)) labelsWritten++;
    }
  });
  const progress = (): ImportProgress => ({
    ...counts,
    failed,
    bytesRead: opened.bytesRead(),
    totalBytes: opened.totalBytes,
  });
  const commit = () => {
    if (batch.length > 0) flush.immediate(batch);
    batch = [];
    hooks.onProgress?.(progress());
  };

  for await (const rec of opened.records()) {
    if (hooks.signal?.aborted) {
      complete = false;
      break;
    }
    if (options.limit !== undefined && counts.records + failed >= options.limit) {
      break;
    }
    ordinal++;
    if (!rec.ok) {
      report({ file: rec.file, line: rec.line, message: rec.message });
      if (rec.fatal) complete = false;
      continue;
    }
    const f = rec.fields;
    const text = cleanText(
      textCols
        .map((c) => f[c] ?? '')
        .filter((t) => t.trim() !== '')
        .join('\n\n'),
    );
    if (text === '') {
      report({ file: rec.file, line: rec.line, message: `empty text in ${textCols.join(' + ')}` });
      continue;
    }
    const rawKey = idCol === null ? `row:${ordinal}` : (f[idCol] ?? '').trim();
    if (rawKey === '') {
      report({ file: rec.file, line: rec.line, message: `empty id in column ${idCol}` });
      continue;
    }
    const firstLine = seenKeys.get(rawKey);
    if (firstLine !== undefined) {
      report({
        file: rec.file,
        line: rec.line,
        message: `id "${rawKey.slice(0, 80)}" was already used on line ${firstLine}`,
      });
      continue;
    }
    seenKeys.set(rawKey, rec.line);
    const patient = patientCol === null ? null : (f[patientCol] ?? '').trim() || null;
    if (patient !== null) patientKeys.add(patient);
    let date: string | null = null;
    if (dateCol !== null && (f[dateCol] ?? '').trim() !== '') {
      date = normaliseDate(f[dateCol]!);
      if (date === null) {
        report({
          file: rec.file,
          line: rec.line,
          message: `unreadable date "${f[dateCol]!.slice(0, 40)}" in ${dateCol} (use YYYY-MM-DD)`,
        });
        continue;
      }
    }
    const title = titleCol === null ? null : cleanText(f[titleCol] ?? '').slice(0, 500) || null;
    const rowLabels: Pending['labels'] = [];
    for (const l of labels) {
      const value = cleanText(f[l.column] ?? '');
      if (value !== '') rowLabels.push({ task: l.task, value: value.slice(0, 200) });
    }
    batch.push({ key: rawKey, text, patient, date, title, labels: rowLabels });
    counts.records++;
    if (batch.length >= batchSize) {
      commit();
      // Let the event loop breathe: progress events and other calls get through between batches.
      await new Promise((r) => setImmediate(r));
    }
  }
  commit();
  const cancelled = hooks.signal?.aborted === true;
  const summary: NotesImportSummary = {
    ...progress(),
    source,
    format: opened.format,
    encoding: opened.encoding,
    encodings: Object.fromEntries(opened.encodings),
    columns: { text: textCols, labels, id: idCol, patient: patientCol, date: dateCol, title: titleCol },
    labelsWritten,
    patients: patientKeys.size,
    errors,
    complete: complete && !cancelled,
    durationMs: performance.now() - started,
  };
  writeAudit(db, {
    actor: options.actor,
    action: 'import.notes',
    targetKind: 'import',
    detail: {
      source,
      format: summary.format,
      encoding: summary.encoding?.encoding ?? null,
      records: summary.records,
      inserted: summary.inserted,
      updated: summary.updated,
      failed,
      labelsWritten,
      complete: summary.complete,
    },
  });
  if (cancelled)
    throw new OslerError(
      'cancelled',
      `import of ${source} cancelled after ${summary.records} record(s); re-run it to finish`,
    );
  return summary;
}
