import type { ChannelInput, ChannelOutput } from '../../../native/contract/index.js';

/** What can be imported. */
export type ImportKind = 'dicom' | 'notes' | 'vitals';

/** Input of `import.start`. */
export type StartInput = ChannelInput<'import.start'>;
/** Answer of `import.start`. */
export type StartOutput = ChannelOutput<'import.start'>;

/** Live progress of the running import. */
export interface ImportProgress {
  readonly seen: number;
  readonly imported: number;
  readonly skipped: number;
  /** 0..1 when the total is known. */
  readonly fraction: number | null;
}

/** One line of the skip report. */
export interface SkipLine {
  readonly where: string;
  readonly reason: string;
}

/** Options of a notes import (column mapping). */
export interface NotesOptions {
  textCol: string;
  labelCol: string;
  labelTask: string;
  idCol: string;
  patientCol: string;
}

/** Splits a text area of paths (one per line) into paths, blank lines dropped. */
export function pathsOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The `import.start` input for a kind, paths and notes options; null when incomplete. */
export function startInput(kind: ImportKind, paths: string[], notes: NotesOptions, jobId: string): StartInput | null {
  if (paths.length === 0) return null;
  if (kind === 'dicom') return { kind, paths, jobId };
  const path = paths[0]!;
  if (kind === 'vitals') return { kind, path, jobId };
  const list = (v: string) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return {
    kind,
    path,
    jobId,
    ...(list(notes.textCol).length > 0 ? { textCol: list(notes.textCol) } : {}),
    ...(list(notes.labelCol).length > 0 ? { labelCol: list(notes.labelCol) } : {}),
    ...(list(notes.labelTask).length > 0 ? { labelTask: list(notes.labelTask) } : {}),
    ...(notes.idCol.trim() !== '' ? { idCol: notes.idCol.trim() } : {}),
    ...(notes.patientCol.trim() !== '' ? { patientCol: notes.patientCol.trim() } : {}),
  };
}

/** A readable summary and the skip report of a finished import. */
export function summaryOf(result: StartOutput): { lines: string[]; skipped: SkipLine[] } {
  if (result.kind === 'dicom')
    return {
      lines: [
        `${result.filesSeen} files examined`,
        `${result.imported} imported`,
        `${result.duplicates} already in the store`,
        `${result.skipped} skipped`,
        `${result.studyIds.length} studies, ${result.seriesIds.length} series`,
      ],
      skipped: result.skippedFiles.map((f) => ({ where: f.path, reason: f.reason })),
    };
  const skipped = result.errors.map((e) => ({
    where: `${e.file ?? ''}${e.line > 0 ? `:${e.line}` : ''}` || '(file)',
    reason: e.message,
  }));
  const common = [
    `${result.records} records read`,
    `${result.inserted} new, ${result.updated} updated, ${result.unchanged} unchanged`,
    `${result.failed} not imported`,
    `${result.labelsWritten} labels written`,
  ];
  if (result.kind === 'notes')
    return {
      lines: [
        ...common,
        `format ${result.format}${result.encoding ? `, encoding ${result.encoding.encoding} (${result.encoding.method})` : ''}`,
        ...(result.complete ? [] : ['reading stopped early: see the report']),
      ],
      skipped,
    };
  return {
    lines: [...common, `${result.wfdbRecords} WFDB records, ${result.stays} ICU stays, ${result.samples} samples`],
    skipped,
  };
}
