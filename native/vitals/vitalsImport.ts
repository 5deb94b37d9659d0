import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { writeAudit } from '../store/audit.js';
import { importLabel } from '../store/labels.js';
import { ensurePatient } from '../store/patients.js';
import { addRecordingAnnotations, addSignal, findRecording, putRecording } from '../store/recordings.js';
import { CsvVitalsError, isVitalsCsvHeader, parseVitalsCsv } from './csvVitals.js';
import { isOutcomesFile, isStayFile, parseOutcomes, parseStay } from './physionet2012.js';
import { parseWfdbAnnotations } from './wfdbAnnotations.js';
import { parseWfdbHeader, WfdbError, wfdbStartTime } from './wfdbHeader.js';
import { decodeWfdbSignals } from './wfdbSignals.js';

/** What to import. */
export interface VitalsImportOptions {
  /** A WFDB header, a PhysioNet 2012 stay or Outcomes file, or a folder searched recursively. */
  readonly path: string;
  /** Who runs the import, for the audit row. */
  readonly actor: string;
  /** Stop after this many records (tests and benchmarks). */
  readonly limit?: number;
  /** PhysioNet 2012 stays per transaction. */
  readonly batchSize?: number;
  /** Encoding of CSV files (default: detected per file). */
  readonly encoding?: string;
}

/** Progress of a running vitals import. */
export interface VitalsProgress {
  readonly records: number;
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly total: number;
}

/** A file or row that was not imported (or imported with a problem), and why. */
export interface VitalsError {
  /** Path relative to the import root. */
  readonly file: string;
  /** Line within the file, or 0. */
  readonly line: number;
  readonly message: string;
}

/** What a vitals import did. */
export interface VitalsImportSummary extends VitalsProgress {
  readonly root: string;
  readonly wfdbRecords: number;
  readonly stays: number;
  readonly signals: number;
  readonly samples: number;
  readonly annotations: number;
  readonly labelsWritten: number;
  readonly errors: readonly VitalsError[];
  readonly complete: boolean;
  readonly durationMs: number;
}

/** Hooks of a running import. */
export interface VitalsHooks {
  readonly onProgress?: (progress: VitalsProgress) => void;
  readonly signal?: AbortSignal;
}

/** Most errors listed in a summary (all are counted). */
const MAX_LISTED_ERRORS = 500;

interface Found {
  headers: string[];
  stays: string[];
  outcomes: string[];
  csvs: string[];
}

async function headOf(path: string, bytes = 256): Promise<string> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await h.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('latin1');
  } finally {
    await h.close();
  }
}

/** The first line of a file's head, decoded well enough to read column names (UTF-16 included). */
function firstLineOf(head: string): string {
  // A UTF-16 file read as Latin-1 has a NUL after each ASCII character.
  const text =
    /^(\xff\xfe|\xfe\xff)/.test(head) || head.includes('\0')
      ? head.replace(/^(\xff\xfe|\xfe\xff)/, '').replace(/\0/g, '')
      : head;
  return text.replace(/^\xef\xbb\xbf/, '').split(/\r?\n/)[0] ?? '';
}

async function classify(path: string, found: Found): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext === '.hea') found.headers.push(path);
  else if (ext === '.txt' || ext === '.csv' || ext === '.tsv') {
    const head = await headOf(path, 4096);
    if (ext === '.txt' && isStayFile(head)) found.stays.push(path);
    else if (ext === '.txt' && isOutcomesFile(head)) found.outcomes.push(path);
    else if (ext !== '.txt' && isVitalsCsvHeader(firstLineOf(head))) found.csvs.push(path);
  }
}

async function discover(root: string): Promise<Found> {
  const found: Found = { headers: [], stays: [], outcomes: [], csvs: [] };
  const info = await stat(root);
  if (info.isFile()) {
    await classify(root, found);
    return found;
  }
  // Symbolic links are followed (a folder of links to the real files is a common way to pick a
  // subset); each real folder is read once, so a link loop ends.
  const visited = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (visited.has(real)) return;
    visited.add(real);
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const target = await stat(full).catch(() => null);
        isDir = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? false;
      }
      if (isDir) await walk(full);
      else if (isFile) await classify(full, found);
    }
  };
  await walk(root);
  return found;
}

/** `set-a` for a stay in `.../set-a/132539.txt`; the Outcomes file `Outcomes-a.txt` names the same set. */
function setOfStay(file: string): string {
  return basename(dirname(file));
}

function setOfOutcomes(file: string): string {
  const m = /^Outcomes-([a-z])\.txt$/i.exec(basename(file));
  return m === null ? basename(file, '.txt') : `set-${m[1]!.toLowerCase()}`;
}

function fingerprint(parts: ReadonlyArray<readonly [string, Uint8Array]>): string {
  const h = createHash('sha256');
  for (const [name, bytes] of parts) {
    h.update(`${name}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** Labels stated by a header's comments: the PhysioNet 2015 alarm records say `<alarm>` then `True/False alarm`. */
function headerLabels(comments: readonly string[]): Record<string, string> {
  const truth = comments.findIndex((c) => /^(true|false) alarm$/i.test(c));
  if (truth < 1) return {};
  return {
    'alarm-type': comments[truth - 1]!,
    'alarm-true': comments[truth]!.toLowerCase().startsWith('true') ? 'true' : 'false',
  };
}

/**
 * Imports vital-sign recordings into the store: WFDB records (header + signal files in formats
 * 8/16/24/32/61/80/160/212/310/311, including the `.mat` variant with a byte offset; every other
 * file named after the record is read as an annotation file) and the PhysioNet 2012 challenge
 * layout (one stay per `set-x/*.txt`, outcomes from `Outcomes-x.txt` as labels). Samples are
 * stored as Float32 chunks. A record whose content fingerprint is unchanged is skipped, so
 * re-importing changes nothing; a broken record is reported and the rest imported. Runs the
 * same in-process and in a worker.
 */
export async function importVitals(
  db: Database.Database,
  options: VitalsImportOptions,
  hooks: VitalsHooks = {},
): Promise<VitalsImportSummary> {
  const started = performance.now();
  const root = resolve(options.path);
  if (!existsSync(root)) throw new OslerError('not-found', `${root}: no such file or folder`);
  const found = await discover(root);
  if (found.headers.length + found.stays.length + found.outcomes.length + found.csvs.length === 0)
    throw new OslerError(
      'invalid-input',
      `${root}: no WFDB header (.hea), PhysioNet 2012 file or vitals CSV (a time column and signal columns) found`,
    );
  const rootDir = (await stat(root)).isDirectory() ? root : dirname(root);
  const rel = (p: string) => relative(rootDir, p) || basename(p);
  const errors: VitalsError[] = [];
  const counts = { records: 0, inserted: 0, updated: 0, unchanged: 0, failed: 0 };
  const totals = { signals: 0, samples: 0, annotations: 0, labelsWritten: 0, wfdbRecords: 0, stays: 0 };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const total = Math.min(limit, found.headers.length + found.stays.length + found.csvs.length);
  const report = (file: string, line: number, message: string) => {
    if (errors.length < MAX_LISTED_ERRORS) errors.push({ file, line, message });
  };
  const progress = (): VitalsProgress => ({ ...counts, total });
  let cancelled = false;
  const done = () => counts.records + counts.failed >= limit;

  for (const headerPath of found.headers) {
    if (done()) break;
    if (hooks.signal?.aborted) {
      cancelled = true;
      break;
    }
    try {
      importWfdbRecord(db, headerPath, rel(headerPath), counts, totals, report);
      counts.records++;
      totals.wfdbRecords++;
    } catch (error) {
      counts.failed++;
      if (error instanceof WfdbError) report(rel(headerPath), 0, error.reason);
      else if (error instanceof OslerError) report(rel(headerPath), 0, error.message);
      else throw error;
    }
    hooks.onProgress?.(progress());
    await new Promise((r) => setImmediate(r));
  }

  for (const file of found.csvs) {
    if (done()) break;
    if (hooks.signal?.aborted) {
      cancelled = true;
      break;
    }
    try {
      importCsvRecording(db, file, rel(file), counts, totals, report, options.encoding);
      counts.records++;
    } catch (error) {
      counts.failed++;
      if (error instanceof CsvVitalsError)
        report(rel(file), error.line, `${error.message}; nothing from this file was imported`);
      else throw error;
    }
    hooks.onProgress?.(progress());
    await new Promise((r) => setImmediate(r));
  }

  const batchSize = options.batchSize ?? 200;
  for (let i = 0; i < found.stays.length && !cancelled && !done(); i += batchSize) {
    if (hooks.signal?.aborted) {
      cancelled = true;
      break;
    }
    const files = found.stays.slice(i, i + Math.min(batchSize, limit - counts.records - counts.failed));
    const contents = await Promise.all(files.map((f) => readFile(f)));
    db.transaction(() => {
      files.forEach((file, k) => importStay(db, file, rel(file), contents[k]!, counts, totals, report));
    }).immediate();
    hooks.onProgress?.(progress());
    await new Promise((r) => setImmediate(r));
  }

  if (!cancelled)
    for (const file of found.outcomes) {
      const { outcomes, problems } = parseOutcomes(await readFile(file, 'utf8'));
      for (const p of problems) report(rel(file), p.line, p.message);
      const source = `physionet2012/${setOfOutcomes(file)}`;
      let missing = 0;
      db.transaction(() => {
        for (const o of outcomes) {
          const rec = findRecording(db, source, o.recordId);
          if (rec === null) {
            missing++;
            continue;
          }
          for (const [task, value] of Object.entries(o.labels))
            if (importLabel(db, { kind: 'recording', id: rec.id }, task, value, null)) totals.labelsWritten++;
        }
      }).immediate();
      if (missing > 0 && options.limit === undefined)
        report(
          rel(file),
          0,
          `${missing} outcome row(s) name stays that are not in the store (import their set folder first)`,
        );
    }

  const summary: VitalsImportSummary = {
    ...progress(),
    root,
    ...totals,
    errors,
    complete: !cancelled,
    durationMs: performance.now() - started,
  };
  writeAudit(db, {
    actor: options.actor,
    action: 'import.vitals',
    targetKind: 'import',
    detail: {
      root,
      records: counts.records,
      inserted: counts.inserted,
      updated: counts.updated,
      failed: counts.failed,
      labelsWritten: totals.labelsWritten,
      complete: summary.complete,
    },
  });
  if (cancelled)
    throw new OslerError(
      'cancelled',
      `import of ${root} cancelled after ${counts.records} record(s); re-run it to finish`,
    );
  return summary;
}

function importCsvRecording(
  db: Database.Database,
  file: string,
  relPath: string,
  counts: Counts,
  totals: Totals,
  report: (file: string, line: number, message: string) => void,
  encoding: string | undefined,
): void {
  const bytes = readFileSync(file);
  const print = fingerprint([[basename(file), bytes]]);
  const source = dirname(file);
  const key = basename(file);
  const existing = findRecording(db, source, key);
  if (existing !== null && existing.fingerprint === print) {
    counts.unchanged++;
    return;
  }
  const parsed = parseVitalsCsv(bytes, encoding === undefined ? {} : { encoding });
  for (const p of parsed.problems) report(relPath, p.line, p.message);
  db.transaction(() => {
    const id = putRecording(db, {
      source,
      sourceKey: key,
      patientId: null,
      kind: 'csv',
      startTime: parsed.startTime,
      durationS: parsed.lastMs / 1000,
      metadata: {
        fingerprint: print,
        title: key,
        layout: parsed.layout,
        encoding: parsed.encoding.encoding,
        encodingMethod: parsed.encoding.method,
        delimiter: parsed.delimiter,
        problems: parsed.problems.length,
      },
    });
    for (const sig of parsed.signals) {
      addSignal(db, id, {
        name: sig.name,
        unit: sig.unit,
        samplingHz: sig.samplingHz,
        firstTimeMs: sig.firstTimeMs,
        values: sig.values,
        ...(sig.timesMs === undefined ? {} : { timesMs: sig.timesMs }),
      });
      totals.signals++;
      totals.samples += sig.values.length;
    }
    if (existing === null) counts.inserted++;
    else counts.updated++;
  }).immediate();
}

type Counts = { records: number; inserted: number; updated: number; unchanged: number; failed: number };
type Totals = {
  signals: number;
  samples: number;
  annotations: number;
  labelsWritten: number;
  wfdbRecords: number;
  stays: number;
};

function importWfdbRecord(
  db: Database.Database,
  headerPath: string,
  relPath: string,
  counts: Counts,
  totals: Totals,
  report: (file: string, line: number, message: string) => void,
): void {
  const dir = dirname(headerPath);
  const headerBytes = readFileSync(headerPath);
  const header = parseWfdbHeader(headerBytes.toString('latin1'), relPath);
  const signalFiles = [...new Set(header.signals.map((s) => s.fileName))];
  const files = new Map<string, Uint8Array>();
  for (const name of signalFiles) {
    try {
      files.set(name, readFileSync(join(dir, name)));
    } catch {
      throw new WfdbError(relPath, `signal file ${name} is missing or unreadable`);
    }
  }
  const stem = basename(headerPath, '.hea');
  // Any other file named after the record is an annotation file (atr, qrs, ecg, gqrsh ...).
  const annotators = readdirSync(dir)
    .filter((n) => n.startsWith(`${stem}.`) && n !== `${stem}.hea` && !signalFiles.includes(n))
    .filter((n) => !/\.(dat|mat|hea|txt|csv|tsv|json|xyz|md)$/i.test(n))
    .sort();
  const annotationBytes = annotators.map((n) => [n, readFileSync(join(dir, n))] as const);
  const print = fingerprint([[basename(headerPath), headerBytes], ...[...files], ...annotationBytes]);
  const source = dir;
  const existing = findRecording(db, source, header.recordName);
  if (existing !== null && existing.fingerprint === print) {
    counts.unchanged++;
    return;
  }
  const decoded = decodeWfdbSignals(header, (name) => files.get(name)!, relPath);
  const annotations: Array<{ source: string; list: ReturnType<typeof parseWfdbAnnotations> }> = [];
  for (const [name, bytes] of annotationBytes) {
    try {
      annotations.push({ source: name.slice(stem.length + 1), list: parseWfdbAnnotations(bytes, name) });
    } catch (error) {
      // A broken annotation file costs its annotations, not the record's signals.
      if (!(error instanceof WfdbError)) throw error;
      report(join(dirname(relPath), name), 0, `${error.reason}; annotations not imported`);
    }
  }
  const badChecksums = decoded.filter((d) => d.checksumOk === false).map((d) => d.spec.description);
  if (badChecksums.length > 0)
    throw new WfdbError(relPath, `decoded samples do not match the header's checksum for ${badChecksums.join(', ')}`);
  const frames = decoded.reduce((n, d) => Math.max(n, d.digital.length / d.spec.samplesPerFrame), 0);
  const labels = headerLabels(header.comments);
  db.transaction(() => {
    const id = putRecording(db, {
      source,
      sourceKey: header.recordName,
      patientId: null,
      kind: 'wfdb',
      startTime: wfdbStartTime(header),
      durationS: frames / header.frequencyHz,
      metadata: {
        fingerprint: print,
        title: [header.recordName, ...header.comments.slice(0, 2)].join(' · '),
        recordName: header.recordName,
        frequencyHz: header.frequencyHz,
        frames,
        baseTime: header.baseTime,
        baseDate: header.baseDate,
        comments: header.comments,
        annotators: annotations.map((a) => ({ source: a.source, count: a.list.length })),
      },
    });
    for (const d of decoded) {
      addSignal(db, id, { name: d.spec.description, unit: d.spec.units, samplingHz: d.samplingHz, values: d.physical });
      totals.signals++;
      totals.samples += d.physical.length;
    }
    for (const a of annotations) {
      addRecordingAnnotations(
        db,
        id,
        a.list.map((x) => ({ ...x, source: a.source, tMs: (x.sample / header.frequencyHz) * 1000 })),
      );
      totals.annotations += a.list.length;
    }
    for (const [task, value] of Object.entries(labels))
      if (importLabel(db, { kind: 'recording', id }, task, value, null)) totals.labelsWritten++;
    if (existing === null) counts.inserted++;
    else counts.updated++;
  }).immediate();
}

function importStay(
  db: Database.Database,
  file: string,
  relPath: string,
  bytes: Buffer,
  counts: Counts,
  totals: Totals,
  report: (file: string, line: number, message: string) => void,
): void {
  const set = setOfStay(file);
  const source = `physionet2012/${set}`;
  const fallbackId = basename(file, '.txt');
  const print = fingerprint([[basename(file), bytes]]);
  const stay = parseStay(bytes.toString('utf8'), fallbackId);
  for (const p of stay.problems) report(relPath, p.line, p.message);
  const key = stay.descriptors.recordId;
  const existing = findRecording(db, source, key);
  counts.records++;
  totals.stays++;
  if (existing !== null && existing.fingerprint === print) {
    counts.unchanged++;
    return;
  }
  const d = stay.descriptors;
  const patientId = ensurePatient(db, `physionet2012:${key}`, {
    sex: d.gender === 0 ? 'F' : d.gender === 1 ? 'M' : null,
  });
  const id = putRecording(db, {
    source,
    sourceKey: key,
    patientId,
    kind: 'physionet2012',
    startTime: null,
    durationS: stay.lastMs / 1000,
    metadata: { fingerprint: print, title: `ICU stay ${key}`, set, descriptors: d },
  });
  for (const s of stay.series) {
    addSignal(db, id, { name: s.parameter, unit: s.unit, samplingHz: null, values: s.values, timesMs: s.timesMs });
    totals.signals++;
    totals.samples += s.values.length;
  }
  if (existing === null) counts.inserted++;
  else counts.updated++;
}
