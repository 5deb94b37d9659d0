import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { OslerError } from '../contract/result.js';
import { parseDicom, sniffTransferSyntax } from '../dicom/index.js';
import { writeAudit } from '../store/audit.js';
import { findInstance, listInstances, listSeries, listStudies, type StudySummary } from '../store/imaging.js';
import { resolveManaged, writeFileDurably } from '../store/managedFiles.js';
import { getPatient } from '../store/patients.js';
import {
  cleanDataset,
  markDeidentified,
  newStats,
  scrubEmbeddedUids,
  type DeidContext,
  type DeidStats,
} from './dataset.js';
import { dcmjs, toArrayBuffer, type DcmDataset, type DcmElement, type DcmFile } from './dcmjs.js';
import { dateOffsetDays, newExportSecret, pseudonym, remapUid } from './pseudonyms.js';

/** Osler's implementation class UID, written into every exported file's meta group. */
export const OSLER_IMPLEMENTATION_UID = '2.25.251846209146627516062587186328064532797';
/** Implementation version name of exported files (SH, at most 16 characters). */
export const OSLER_IMPLEMENTATION_VERSION = 'OSLER_DEID_1';

/** Options of {@link exportStudyDeidentified}. */
export interface StudyExportOptions {
  /** Folder to create (or an empty one) for the exported files. */
  readonly out: string;
  /** Shift dates by a per-patient offset instead of removing them. */
  readonly retainDates?: boolean;
  /** Export images flagged Burned In Annotation YES (their pixels may show identity). */
  readonly allowBurnedIn?: boolean;
  /** Who to record in the audit log. */
  readonly actor: string;
  /** The export's secret; a fresh random one when absent (tests pass one to compare runs). */
  readonly secret?: Uint8Array;
}

/** An instance left out of the export and why. */
export interface SkippedInstance {
  readonly series: number | null;
  readonly instance: number | null;
  readonly reason: string;
}

/** What an export wrote. */
export interface StudyExportReport {
  readonly folder: string;
  /** The exported study's new Study Instance UID. */
  readonly studyUid: string;
  readonly series: number;
  readonly instances: number;
  readonly bytes: number;
  readonly retainDates: boolean;
  /** Instances exported although flagged Burned In Annotation YES (only with allowBurnedIn). */
  readonly burnedIn: number;
  readonly skipped: readonly SkippedInstance[];
  readonly stats: Readonly<DeidStats>;
  /** The file listing the exported files with their SHA-256, written last. */
  readonly manifest: string;
}

/** Manifest file name inside the export folder; its presence marks a complete export. */
export const MANIFEST_FILE = 'manifest.json';

const TS_EXPLICIT_LE = '1.2.840.10008.1.2.1';
const TS_DEFLATED = '1.2.840.10008.1.2.1.99';

/**
 * SOP classes whose content (free-text content items, embedded documents, presentation text) the
 * attribute table cannot make safe: left out with a reason rather than exported half-cleaned.
 */
function unsupportedClass(sopClass: string): string | null {
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.1.88.')) return 'structured report (free-text content items)';
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.1.104.')) return 'encapsulated document';
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.1.11.')) return 'presentation state (text annotations)';
  if (sopClass.startsWith('1.2.840.10008.5.1.4.1.1.9.')) return 'waveform (annotation text)';
  return null;
}

/** Modalities whose images often carry burned-in text: an unstated Burned In Annotation is refused. */
const BURNED_IN_LIKELY = new Set(['US', 'SC', 'XA', 'ES', 'OT', 'DOC', 'XC']);

function str(ds: DcmDataset, tag: string): string | null {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return null;
  return (typeof v === 'string' ? v : String(v)).trim();
}

function num(ds: DcmDataset, tag: string): number | null {
  const s = str(ds, tag);
  if (s === null || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

function findStudy(db: Database.Database, ref: string): StudySummary {
  const studies = listStudies(db);
  const study = /^\d+$/.test(ref)
    ? (studies.find((s) => s.id === Number(ref)) ?? studies.find((s) => s.studyUid === ref))
    : studies.find((s) => s.studyUid === ref);
  if (study === undefined) throw new OslerError('not-found', `no study ${JSON.stringify(ref)} in the store`);
  return study;
}

function prepareFolder(out: string): { folder: string; created: boolean } {
  const folder = resolve(out);
  if (existsSync(folder)) {
    if (readdirSync(folder).length > 0)
      throw new OslerError('conflict', `${folder} is not empty; export into a new or empty folder`);
    return { folder, created: false };
  }
  mkdirSync(folder, { recursive: true });
  return { folder, created: true };
}

function readPart10(path: string, headerOnly: boolean, sha256?: string): DcmFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new OslerError('not-found', `a managed file of the study is missing: ${(error as Error).message}`);
  }
  // The bytes exported are the bytes imported: a managed file changed since (damage, tampering)
  // is refused rather than exported.
  if (sha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== sha256)
    throw new OslerError('conflict', `a managed file of the study changed since it was imported: ${path}`);
  try {
    return dcmjs().data.DicomMessage.readFile(
      toArrayBuffer(withPart10Header(bytes)),
      headerOnly ? { untilTag: '7FE00010', includeUntilTagValue: false } : {},
    );
  } catch (error) {
    throw new OslerError('invalid-input', `cannot read a stored instance for export: ${(error as Error).message}`);
  }
}

/**
 * A bare data set (no preamble, no file meta; Osler's importer accepts those) gets a minimal file
 * meta group, encoded by dcmjs, naming the transfer syntax its first element shows, so dcmjs can
 * read it. Part 10 files pass through unchanged.
 */
function withPart10Header(bytes: Buffer): Buffer {
  if (bytes.length >= 132 && bytes.toString('latin1', 128, 132) === 'DICM') return bytes;
  const ts = sniffTransferSyntax(bytes);
  if (ts === undefined) throw new Error('neither a Part 10 file nor a bare data set');
  const header = new (dcmjs().data.DicomDict)({
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020010': { vr: 'UI', Value: [ts] },
  });
  header.dict = {};
  return Buffer.concat([Buffer.from(header.write()), bytes]);
}

interface Planned {
  readonly path: string;
  /** Content hash the store recorded at import. */
  readonly sha256: string | undefined;
  readonly seriesNumber: number | null;
  readonly instanceNumber: number | null;
}

/**
 * Exports one stored study de-identified by the DICOM PS3.15 Basic Application Level
 * Confidentiality Profile (see `profile.ts`), optionally with Retain Longitudinal Temporal
 * Information with Modified Dates. Reads the managed files the store points to; refuses the
 * whole export (writing nothing) when an image is flagged Burned In Annotation YES (or does not
 * say, for modalities where burned-in text is usual) unless `allowBurnedIn`; leaves out SOP
 * classes the table cannot clean (SR, documents, presentation states) with a reason. UIDs are
 * replaced consistently across the study from a per-export secret; every file is written to a
 * temporary name, fsynced and renamed, parsed back with Osler's engine, and listed in a
 * manifest written last. One audit row records the export.
 */
export function exportStudyDeidentified(
  db: Database.Database,
  home: string,
  studyRef: string,
  options: StudyExportOptions,
): StudyExportReport {
  const study = findStudy(db, studyRef);
  const patient = getPatient(db, study.patientId);
  const patientKey = patient?.key ?? `study:${study.studyUid}`;
  const secret = options.secret ?? newExportSecret();
  const retainDates = options.retainDates === true;
  const sourceUids = new Set<string>();
  const ctx: DeidContext = {
    uid: (source) => {
      sourceUids.add(source);
      return remapUid(secret, source);
    },
    dateShiftDays: retainDates ? dateOffsetDays(secret, patientKey) : null,
    patientPseudonym: pseudonym(secret, 'DEID-', patientKey),
  };

  // Pass 1, headers only: decide what is exported and refuse before writing anything.
  const planned: Planned[] = [];
  const skipped: SkippedInstance[] = [];
  const burned: string[] = [];
  let burnedIn = 0;
  for (const series of listSeries(db, study.id)) {
    for (const inst of listInstances(db, series.id)) {
      const path = resolveManaged(home, inst.path);
      const header = readPart10(path, true).dict;
      const where = { series: series.seriesNumber, instance: inst.instanceNumber };
      const sopClass = str(header, '00080016') ?? '';
      const unsupported = unsupportedClass(sopClass);
      if (unsupported !== null) {
        skipped.push({ ...where, reason: unsupported });
        continue;
      }
      const flag = (str(header, '00280301') ?? '').toUpperCase();
      const modality = (str(header, '00080060') ?? '').toUpperCase();
      const hasPixels = header['7FE00010'] !== undefined || num(header, '00280010') !== null;
      const risky = flag === 'YES' || (flag === '' && hasPixels && BURNED_IN_LIKELY.has(modality));
      if (risky) {
        if (options.allowBurnedIn !== true) {
          burned.push(
            `series ${series.seriesNumber ?? '?'} instance ${inst.instanceNumber ?? '?'} (${flag === 'YES' ? 'Burned In Annotation YES' : `${modality} without Burned In Annotation`})`,
          );
          continue;
        }
        burnedIn++;
      }
      planned.push({
        path,
        sha256: findInstance(db, inst.sopInstanceUid)?.sha256,
        seriesNumber: series.seriesNumber,
        instanceNumber: inst.instanceNumber,
      });
    }
  }
  if (burned.length > 0)
    throw new OslerError(
      'conflict',
      `refusing to export: ${burned.length} image(s) may show identifying text burned into the pixels: ` +
        `${burned.slice(0, 5).join('; ')}${burned.length > 5 ? '; ...' : ''}. Pass --allow-burned-in to export them anyway`,
    );
  if (planned.length === 0)
    throw new OslerError(
      'invalid-input',
      `the study has no instance that can be exported (${skipped.length} left out: ${[
        ...new Set(skipped.map((s) => s.reason)),
      ].join('; ')})`,
    );

  const { folder, created } = prepareFolder(options.out);
  const stats = newStats();
  const files: Array<{ path: string; sha256: string; sizeBytes: number }> = [];
  const seriesUids = new Set<string>();
  let newStudyUid = '';
  let bytesWritten = 0;
  try {
    for (const p of planned) {
      const source = readPart10(p.path, false, p.sha256);
      const keptBefore = stats.privateKept;
      const cleaned = cleanDataset(source.dict, ctx, stats);
      stats.removed += scrubEmbeddedUids(cleaned, sourceUids);
      markDeidentified(cleaned, { retainDates, safePrivateKept: stats.privateKept > keptBefore });
      const sopUid = str(cleaned, '00080018');
      const seriesUid = str(cleaned, '0020000E');
      const studyUid = str(cleaned, '0020000D');
      if (sopUid === null || seriesUid === null || studyUid === null)
        throw new OslerError('invalid-input', `instance ${p.instanceNumber ?? '?'} lacks a SOP, series or study UID`);
      newStudyUid = studyUid;
      seriesUids.add(seriesUid);
      const bytes = writePart10(source.meta, cleaned, sopUid);
      try {
        parseDicom(bytes);
      } catch (error) {
        throw new OslerError('internal', `the de-identified instance does not parse: ${(error as Error).message}`);
      }
      const rel = `${seriesUid}/${sopUid}.dcm`;
      writeFileDurably(join(folder, rel), bytes);
      files.push({ path: rel, sha256: createHash('sha256').update(bytes).digest('hex'), sizeBytes: bytes.length });
      bytesWritten += bytes.length;
    }
  } catch (error) {
    // A failed export leaves nothing behind: no manifest was written, and the files go too.
    if (created) rmSync(folder, { recursive: true, force: true });
    else for (const uid of seriesUids) rmSync(join(folder, uid), { recursive: true, force: true });
    throw error;
  }
  const manifest = {
    format: 'osler-deidentified-export',
    version: 1,
    profile: 'DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile',
    options: { retainLongitudinalModifiedDates: retainDates, allowBurnedIn: options.allowBurnedIn === true },
    studyInstanceUid: newStudyUid,
    series: seriesUids.size,
    skipped,
    files,
  };
  const manifestPath = join(folder, MANIFEST_FILE);
  writeFileDurably(manifestPath, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'));
  writeAudit(db, {
    actor: options.actor,
    action: 'export.deidentify',
    targetKind: 'study',
    targetId: study.id,
    detail: {
      instances: files.length,
      series: seriesUids.size,
      skipped: skipped.length,
      retainDates,
      allowBurnedIn: options.allowBurnedIn === true,
      burnedIn,
      folder,
    },
  });
  return {
    folder,
    studyUid: newStudyUid,
    series: seriesUids.size,
    instances: files.length,
    bytes: bytesWritten,
    retainDates,
    burnedIn,
    skipped,
    stats: { ...stats },
    manifest: manifestPath,
  };
}

function metaElement(vr: string, value: unknown): DcmElement {
  return { vr, Value: [value] };
}

/** Serialises a cleaned dataset as Part 10 with a new file meta group (dcmjs encodes it). */
function writePart10(sourceMeta: DcmDataset, dataset: DcmDataset, sopUid: string): Uint8Array {
  let ts = str(sourceMeta, '00020010') ?? TS_EXPLICIT_LE;
  // Deflated files are written inflated (explicit VR little endian); every other syntax, big
  // endian and the encapsulated ones included, is written as it was read (the pixels unchanged).
  if (ts === TS_DEFLATED) ts = TS_EXPLICIT_LE;
  const meta: DcmDataset = {
    '00020001': sourceMeta['00020001'] ?? { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': metaElement('UI', str(dataset, '00080016') ?? str(sourceMeta, '00020002') ?? ''),
    '00020003': metaElement('UI', sopUid),
    '00020010': metaElement('UI', ts),
    '00020012': metaElement('UI', OSLER_IMPLEMENTATION_UID),
    '00020013': metaElement('SH', OSLER_IMPLEMENTATION_VERSION),
  };
  const file = new (dcmjs().data.DicomDict)(meta);
  file.dict = dataset;
  return new Uint8Array(file.write());
}
