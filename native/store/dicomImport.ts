import type Database from 'better-sqlite3';
import { opendir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join, parse as parsePath, resolve, sep } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { OslerError } from '../contract/result.js';
import type { DicomDataset } from '../dicom/dataset.js';
import { DicomParseError } from '../dicom/errors.js';
import { seriesGeometry, sliceGeometryInput, type SliceGeometryInput } from '../dicom/geometry.js';
import { extractMetadata } from '../dicom/metadata.js';
import { parseDicom } from '../dicom/parse.js';
import { writeAudit } from './audit.js';
import {
  ensureSeries,
  ensureStudy,
  findInstance,
  insertInstance,
  listInstances,
  updateSeriesSummary,
  type InstanceRow,
  type SeriesAttributes,
  type StudyAttributes,
} from './imaging.js';
import { resolveManaged, storeContentAddressed } from './managedFiles.js';
import { clearPendingFiles, notePendingFile } from './pendingFiles.js';
import { ensurePatient, type PatientAttributes } from './patients.js';

/** A file the import passed over, and why. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/** Progress of a running DICOM import. */
export interface DicomImportProgress {
  readonly filesSeen: number;
  readonly imported: number;
  readonly duplicates: number;
  readonly skipped: number;
}

/** Outcome of a DICOM import. */
export interface DicomImportReport extends DicomImportProgress {
  readonly skippedFiles: readonly SkippedFile[];
  /** Ids of the studies and series that received new instances. */
  readonly studyIds: readonly number[];
  readonly seriesIds: readonly number[];
}

/** Options of {@link importDicom}. */
export interface DicomImportOptions {
  /** Called every few files and at the end. */
  readonly onProgress?: (progress: DicomImportProgress) => void;
  readonly signal?: AbortSignal;
  /** Files larger than this are skipped (default 2 GiB - 1, the most a single buffer holds). */
  readonly maxFileBytes?: number;
  /** Who to record in the audit log. */
  readonly actor?: string;
  /** Most skipped files listed individually in the report (all are counted). */
  readonly maxSkippedListed?: number;
  /**
   * Most files looked at before the import stops with `too-many-files` (default 500,000): a
   * mistaken pick such as a home folder must not walk the whole disk. Batches already
   * committed stay.
   */
  readonly maxFiles?: number;
  /** Instances committed per transaction (default 64). */
  readonly batchSize?: number;
}

/** Folders an import never walks into or starts from: the root and the system's own trees. */
const SYSTEM_TREES = [
  '/proc',
  '/sys',
  '/dev',
  '/run',
  '/boot',
  '/etc',
  '/bin',
  '/sbin',
  '/lib',
  '/lib64',
  '/usr',
  '/var/lib',
];

/**
 * Refuses an import source that is a filesystem root or a system folder (Osler would walk the
 * whole disk or pseudo-files), with a message saying what to pick instead.
 */
export function checkImportSource(path: string): void {
  const full = resolve(path);
  const root = parsePath(full).root;
  const isSystem =
    full === root ||
    (process.platform !== 'win32' && SYSTEM_TREES.some((t) => full === t || full.startsWith(`${t}/`))) ||
    (process.platform === 'win32' && /^[a-z]:\\windows(\\|$)/i.test(full));
  if (isSystem)
    throw new OslerError(
      'invalid-input',
      `${full} is ${full === root ? 'a filesystem root' : 'a system folder'}; point the import at the folder holding the studies`,
    );
}

const DICOMDIR_CLASS = '1.2.840.10008.1.3.10';
const BATCH = 64;

interface Pending {
  readonly patientKey: string;
  readonly patient: PatientAttributes;
  readonly study: StudyAttributes;
  readonly series: SeriesAttributes;
  readonly instance: InstanceRow;
}

function isoDate(da: string | undefined): string | null {
  if (!da) return null;
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/**
 * Maps a parsed header (read through the engine's {@link extractMetadata}) to the rows the store
 * keeps. Throws `missing-attribute` when the UIDs that place it in the hierarchy are absent.
 */
function describe(
  ds: DicomDataset,
): Omit<Pending, 'instance'> & { instance: Omit<InstanceRow, 'path' | 'sizeBytes' | 'sha256'> } {
  const m = extractMetadata(ds);
  const missing = [
    !m.sopInstanceUid && 'SOPInstanceUID',
    !m.studyInstanceUid && 'StudyInstanceUID',
    !m.seriesInstanceUid && 'SeriesInstanceUID',
  ].filter(Boolean);
  if (missing.length > 0) throw new DicomParseError('missing-attribute', `missing ${missing.join(', ')}`);
  const int = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : Math.trunc(n));
  return {
    // Without a Patient ID, group by study so unrelated anonymous studies do not merge.
    patientKey: m.patientId ?? `dicom:no-patient-id:${m.studyInstanceUid}`,
    patient: {
      name: m.patientName?.replace(/\^+/g, ' ').trim() ?? null,
      birthDate: isoDate(m.patientBirthDate),
      sex: m.patientSex ?? null,
    },
    study: {
      studyUid: m.studyInstanceUid!,
      studyDate: isoDate(m.studyDate),
      studyTime: m.studyTime ?? null,
      accessionNumber: m.accessionNumber ?? null,
      description: m.studyDescription ?? null,
    },
    series: {
      seriesUid: m.seriesInstanceUid!,
      modality: m.modality ?? null,
      seriesNumber: int(m.seriesNumber),
      description: m.seriesDescription ?? null,
      bodyPart: m.bodyPartExamined ?? null,
      rows: int(m.rows),
      columns: int(m.columns),
    },
    instance: {
      sopInstanceUid: m.sopInstanceUid!,
      sopClassUid: m.sopClassUid ?? null,
      instanceNumber: int(m.instanceNumber),
      transferSyntaxUid: m.transferSyntaxUid,
      frames: m.numberOfFrames,
      positionMm: m.imagePositionPatient ? [...m.imagePositionPatient] : null,
      sliceLocation: m.sliceLocationMm ?? null,
    },
  };
}

/**
 * Largest data set a file of `size` bytes may inflate to (deflated transfer syntax): real DICOM
 * deflates by a few times, a deflate bomb by a thousand.
 */
export function inflateLimit(size: number): number {
  return Math.min(0x7fffffff, Math.max(64 * 1024 * 1024, 32 * size));
}

/** Files a DICOMDIR lists, resolved against its folder. */
function dicomdirFiles(ds: DicomDataset, dicomdirPath: string): string[] {
  const base = dirname(dicomdirPath);
  const out: string[] = [];
  for (const record of ds.sequence('00041220')) {
    const parts = record.strings('00041500').filter((p) => p !== '' && p !== '.' && p !== '..');
    if (parts.length > 0) out.push(join(base, ...parts));
  }
  return out;
}

const inSystemTree = (path: string): boolean =>
  process.platform !== 'win32' && SYSTEM_TREES.some((t) => path === t || path.startsWith(`${t}${sep}`));

async function* walk(path: string, visitedDirs: Set<string>): AsyncGenerator<string> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new OslerError('not-found', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (info.isFile()) {
    yield path;
    return;
  }
  if (!info.isDirectory()) return;
  const real = await realpath(path);
  if (visitedDirs.has(real)) return; // a symlink loop or a folder given twice
  visitedDirs.add(real);
  const dir = await opendir(path);
  const entries: string[] = [];
  for await (const entry of dir) entries.push(entry.name);
  entries.sort();
  for (const name of entries) {
    const child = join(path, name);
    let childInfo;
    try {
      childInfo = await stat(child);
    } catch {
      continue; // dangling link
    }
    if (childInfo.isDirectory()) {
      if (!inSystemTree(await realpath(child).catch(() => child))) yield* walk(child, visitedDirs);
    } else if (childInfo.isFile()) yield child;
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof DicomParseError) {
    return error.reason === 'not-dicom' ? 'not a DICOM file' : `${error.reason}: ${error.message}`;
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (code) return `cannot read file (${code})`;
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/**
 * Imports DICOM files from files and folders (recursively, and through any DICOMDIR): identifies
 * DICOM by content whatever the file name, skips non-DICOM and broken files with a reason per
 * file, de-duplicates by SOP Instance UID, copies each accepted file into the content-addressed
 * managed store (written and fsynced before its row is committed), groups instances into
 * patients, studies and series, and updates each touched series' geometry summary. Importing
 * the same files again changes nothing.
 */
export async function importDicom(
  db: Database.Database,
  home: string,
  sources: readonly string[],
  options: DicomImportOptions = {},
): Promise<DicomImportReport> {
  const maxFileBytes = options.maxFileBytes ?? 0x7fffffff;
  const maxListed = options.maxSkippedListed ?? 1000;
  const maxFiles = options.maxFiles ?? 500_000;
  const batchSize = options.batchSize ?? BATCH;
  for (const source of sources) checkImportSource(source);
  const skippedFiles: SkippedFile[] = [];
  const touchedSeries = new Set<number>();
  const touchedStudies = new Set<number>();
  const seenFiles = new Set<string>();
  const visitedDirs = new Set<string>();
  // The data folder itself is never a source (its managed copies would be read back in).
  visitedDirs.add(await realpath(home).catch(() => resolve(home)));
  let filesWalked = 0;
  let tooMany = false;
  const queue: string[] = sources.map((s) => resolve(s));
  const progress = { filesSeen: 0, imported: 0, duplicates: 0, skipped: 0 };
  let pending: Pending[] = [];
  const pendingSops = new Set<string>();
  const geometryBySop = new Map<string, SliceGeometryInput>();

  const skip = (path: string, reason: string) => {
    progress.skipped++;
    if (skippedFiles.length < maxListed) skippedFiles.push({ path, reason });
  };

  const flush = () => {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    pendingSops.clear();
    db.transaction(() => {
      for (const p of batch) {
        const patientId = ensurePatient(db, p.patientKey, p.patient);
        const studyId = ensureStudy(db, patientId, p.study);
        const seriesId = ensureSeries(db, studyId, p.series);
        insertInstance(db, seriesId, p.instance);
        touchedSeries.add(seriesId);
        touchedStudies.add(studyId);
      }
      clearPendingFiles(
        db,
        batch.map((p) => p.instance.path),
      );
    }).immediate();
    progress.imported += batch.length;
  };

  const handleFile = async (path: string): Promise<void> => {
    const real = await realpath(path).catch(() => path);
    if (seenFiles.has(real)) return;
    seenFiles.add(real);
    progress.filesSeen++;
    const info = await stat(path);
    if (info.size > maxFileBytes)
      return skip(path, `file of ${info.size} bytes exceeds the ${maxFileBytes}-byte limit`);
    if (info.size === 0) return skip(path, 'empty file');
    const bytes = await readFile(path);
    // A full parse (cheap: no pixel decoding) so a file truncated inside its pixel data is refused
    // now rather than found broken in the viewer.
    const ds = parseDicom(bytes, { maxBytes: inflateLimit(bytes.length) });
    if (ds.string('MediaStorageSOPClassUID') === DICOMDIR_CLASS || ds.has('00041220')) {
      // A DICOMDIR is an index: import what it lists (files already seen are not read twice).
      for (const listed of dicomdirFiles(ds, path)) queue.push(listed);
      progress.filesSeen--;
      return;
    }
    const described = describe(ds);
    const sop = described.instance.sopInstanceUid;
    geometryBySop.set(sop, sliceGeometryInput(ds, sop));
    const existing = findInstance(db, sop);
    if (existing !== null || pendingSops.has(sop)) {
      progress.duplicates++;
      return;
    }
    const managed = storeContentAddressed(home, 'files/dicom', bytes, '.dcm', (rel) => notePendingFile(db, rel));
    pending.push({
      ...described,
      instance: { ...described.instance, path: managed.path, sizeBytes: managed.sizeBytes, sha256: managed.sha256 },
    });
    pendingSops.add(sop);
    if (pending.length >= batchSize) flush();
  };

  while (queue.length > 0) {
    const source = queue.shift()!;
    for await (const file of walk(source, visitedDirs)) {
      if (options.signal?.aborted) break;
      if (++filesWalked > maxFiles) {
        tooMany = true;
        break;
      }
      try {
        await handleFile(file);
      } catch (error) {
        if (error instanceof OslerError) throw error;
        skip(file, reasonOf(error));
      }
      if ((progress.filesSeen + progress.skipped) % 16 === 0) {
        options.onProgress?.({ ...progress });
        await yieldToLoop();
      }
    }
    if (options.signal?.aborted || tooMany) break;
  }
  flush();

  for (const seriesId of touchedSeries)
    updateSeriesSummary(db, seriesId, await summarise(db, home, seriesId, geometryBySop));
  writeAudit(db, {
    actor: options.actor ?? 'system',
    action: 'import.dicom',
    targetKind: 'import',
    detail: {
      ...progress,
      studies: touchedStudies.size,
      series: touchedSeries.size,
      cancelled: options.signal?.aborted === true,
      tooManyFiles: tooMany,
    },
  });
  options.onProgress?.({ ...progress });
  if (options.signal?.aborted)
    throw new OslerError('cancelled', `import cancelled after ${progress.imported} instances`);
  if (tooMany)
    throw new OslerError(
      'invalid-input',
      `stopped after ${maxFiles} files (${progress.imported} instances imported): the folder holds more files than ` +
        'one import takes; point it at the folder holding the studies, or import sub-folders one at a time',
    );
  return { ...progress, skippedFiles, studyIds: [...touchedStudies], seriesIds: [...touchedSeries] };
}

/** The geometry summary of a series, from its stored instances' headers; order as instance ids. */
async function summarise(
  db: Database.Database,
  home: string,
  seriesId: number,
  known: ReadonlyMap<string, SliceGeometryInput>,
): Promise<unknown> {
  const instances = listInstances(db, seriesId);
  const slices: SliceGeometryInput[] = [];
  for (const instance of instances) {
    if (instance.frames > 1) return { sortedBy: 'multi-frame', frames: instance.frames };
    // Files imported just now were parsed already; only instances from earlier imports are re-read.
    const seen = known.get(instance.sopInstanceUid);
    if (seen) {
      slices.push({ ...seen, id: String(instance.id) });
      continue;
    }
    const bytes = await readFile(resolveManaged(home, instance.path));
    slices.push(
      sliceGeometryInput(
        parseDicom(bytes, { untilTag: '7FE00010', maxBytes: inflateLimit(bytes.length) }),
        String(instance.id),
      ),
    );
  }
  const g = seriesGeometry(slices);
  return {
    order: g.order.map(Number),
    sortedBy: g.sortedBy,
    normal: g.normal ?? null,
    rowDirection: g.rowDirection ?? null,
    columnDirection: g.columnDirection ?? null,
    sliceSpacingMm: g.sliceSpacingMm ?? null,
    uniformSpacing: g.uniformSpacing,
    pixelSpacingMm: g.pixelSpacingMm ?? null,
    tiltDeg: g.tiltDeg,
    issues: g.issues,
  };
}
