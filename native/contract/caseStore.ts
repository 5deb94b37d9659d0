import { z } from 'zod';
import { dicomImportReportSchema, seriesSummarySchema, studySummarySchema, userPathSchema } from './imaging.js';

/** A path the user points an import at (resolved and checked by the core). */
const pathInput = z.string().min(1).max(4096);
const columnName = z.string().min(1).max(200);
const taskName = z.string().regex(/^[\w.-]{1,64}$/, 'a task is 1-64 letters, digits, . _ or -');
const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'use YYYY-MM-DD');
/** Client-chosen id correlating an import call with its progress events (and cancellation). */
const jobId = z.string().regex(/^[\w.-]{1,64}$/);

/** Kinds of record a label can be attached to. */
export const labelTargetKindSchema = z.enum(['instance', 'series', 'study', 'note', 'recording']);
/** Where a label came from. */
export const labelSourceSchema = z.enum(['human', 'imported', 'model-accepted']);
/** Label state of a target: no label, one agreed value, or current labels that disagree. */
export const labelStateSchema = z.enum(['unlabelled', 'labelled', 'disputed']);

/** What a label is about; recording labels may cover a window of the recording (ms from its start). */
export const labelTargetSchema = z.strictObject({
  kind: labelTargetKindSchema,
  id,
  windowStartMs: z.number().nonnegative().finite().nullable().optional(),
  windowEndMs: z.number().nonnegative().finite().nullable().optional(),
});

/** A stored label. */
export const labelSchema = z.strictObject({
  id,
  targetKind: labelTargetKindSchema,
  targetId: id,
  windowStartMs: z.number().nullable(),
  windowEndMs: z.number().nullable(),
  task: z.string(),
  value: z.string(),
  source: labelSourceSchema,
  author: z.string().nullable(),
  createdAt: z.string(),
  /** The label this one replaced (its supersedes chain), or null. */
  supersedes: id.nullable(),
  /** Whether no later label replaced this one. */
  current: z.boolean(),
});

/** Label state of one task (and window) of a target. */
export const taskStateSchema = z.strictObject({
  task: z.string(),
  windowStartMs: z.number().nullable(),
  windowEndMs: z.number().nullable(),
  state: labelStateSchema,
  /** Values of the current labels (several when disputed). */
  values: z.array(z.string()),
});

/** A record that was not imported, with where it is and why. */
export const importErrorSchema = z.strictObject({
  file: z.string().nullable(),
  /** First line of the record (1-based); 0 for a whole file. */
  line: z.number().int().nonnegative(),
  message: z.string(),
});

/** The encoding chosen for a notes file and how. */
export const encodingChoiceSchema = z.strictObject({
  encoding: z.string(),
  bom: z.boolean(),
  method: z.enum(['bom', 'utf16-pattern', 'utf8-valid', 'ascii', 'chardet', 'forced']),
  confidence: z.number(),
});

const counts = {
  records: z.number().int().nonnegative(),
  inserted: z.number().int().nonnegative(),
  updated: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
};

/** Input of `notes.import`: a CSV/TSV/JSONL file or a folder of .txt files, and how its columns map. */
export const notesImportInputSchema = z.strictObject({
  path: pathInput,
  format: z.enum(['csv', 'tsv', 'jsonl', 'txt']).optional(),
  encoding: z.string().min(1).max(40).optional(),
  textCol: z.array(columnName).min(1).max(8).optional(),
  labelCol: z.array(columnName).max(16).optional(),
  labelTask: z.array(taskName).max(16).optional(),
  idCol: columnName.optional(),
  patientCol: columnName.optional(),
  dateCol: columnName.optional(),
  titleCol: columnName.optional(),
  kind: z.string().min(1).max(64).optional(),
  limit: z.number().int().positive().optional(),
  jobId: jobId.optional(),
});

/** Answer of `notes.import`. */
export const notesImportSummarySchema = z.strictObject({
  ...counts,
  bytesRead: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  source: z.string(),
  format: z.enum(['csv', 'tsv', 'jsonl', 'txt']),
  encoding: encodingChoiceSchema.nullable(),
  /** Files per encoding, for a folder of .txt files. */
  encodings: z.record(z.string(), z.number()),
  columns: z.strictObject({
    text: z.array(z.string()),
    labels: z.array(z.strictObject({ column: z.string(), task: z.string() })),
    id: z.string().nullable(),
    patient: z.string().nullable(),
    date: z.string().nullable(),
    title: z.string().nullable(),
  }),
  labelsWritten: z.number().int().nonnegative(),
  patients: z.number().int().nonnegative(),
  /** Up to 500 records that were not imported (all are counted in `failed`). */
  errors: z.array(importErrorSchema),
  /** False when reading stopped early (an unclosed quote or an oversized record). */
  complete: z.boolean(),
  durationMs: z.number().nonnegative(),
});

/** One full-text search hit. */
export const noteHitSchema = z.strictObject({
  id,
  patientKey: z.string().nullable(),
  title: z.string().nullable(),
  date: z.string().nullable(),
  source: z.string(),
  /** bm25 rank; lower is better. */
  rank: z.number(),
  snippet: z.string(),
  /** Matched terms in `snippet` as [start, end) UTF-16 offsets. */
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
});

/** A note with its labels. */
export const noteSchema = z.strictObject({
  id,
  patientKey: z.string().nullable(),
  source: z.string(),
  sourceKey: z.string().nullable(),
  title: z.string().nullable(),
  kind: z.string().nullable(),
  author: z.string().nullable(),
  date: z.string().nullable(),
  language: z.string().nullable(),
  text: z.string(),
  createdAt: z.string(),
  /** Matches of the query given with the call, as [start, end) offsets in `text`. */
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
  labels: z.array(labelSchema),
  states: z.array(taskStateSchema),
});

/** Input of `vitals.import`: a WFDB header, a PhysioNet 2012 file, a vitals CSV, or a folder searched recursively. */
export const vitalsImportInputSchema = z.strictObject({
  path: pathInput,
  /** Encoding of CSV files; detected per file when absent. */
  encoding: z.string().min(1).max(40).optional(),
  limit: z.number().int().positive().optional(),
  jobId: jobId.optional(),
});

/** Answer of `vitals.import`. */
export const vitalsImportSummarySchema = z.strictObject({
  ...counts,
  total: z.number().int().nonnegative(),
  root: z.string(),
  wfdbRecords: z.number().int().nonnegative(),
  stays: z.number().int().nonnegative(),
  signals: z.number().int().nonnegative(),
  samples: z.number().int().nonnegative(),
  annotations: z.number().int().nonnegative(),
  labelsWritten: z.number().int().nonnegative(),
  errors: z.array(importErrorSchema),
  complete: z.boolean(),
  durationMs: z.number().nonnegative(),
});

/** One signal's samples within the requested window. */
export const signalWindowSchema = z.strictObject({
  name: z.string(),
  unit: z.string().nullable(),
  /** Samples per second; null for irregular series (see `timesMs`). */
  samplingHz: z.number().nullable(),
  sampleCount: z.number().int().nonnegative(),
  /** Index of the first returned sample. */
  from: z.number().int().nonnegative(),
  /** Samples per returned point (1 = every sample; >1 = `min`/`max` envelope per bucket). */
  step: z.number().int().positive(),
  /** Time of each returned point in ms from the recording start. */
  timesMs: z.array(z.number()),
  /** Sample value (first of each bucket when decimated); null where the record has no value. */
  values: z.array(z.number().nullable()),
  min: z.array(z.number().nullable()).optional(),
  max: z.array(z.number().nullable()).optional(),
});

/** One recording annotation (beat label, rhythm change, event). */
export const recordingAnnotationSchema = z.strictObject({
  source: z.string(),
  sample: z.number().int(),
  tMs: z.number(),
  code: z.number().int(),
  symbol: z.string(),
  sub: z.number().int(),
  chan: z.number().int(),
  num: z.number().int(),
  aux: z.string().nullable(),
});

/** Answer of `vitals.get`. */
export const vitalsWindowSchema = z.strictObject({
  recording: z.strictObject({
    id,
    patientKey: z.string().nullable(),
    source: z.string(),
    sourceKey: z.string().nullable(),
    kind: z.string().nullable(),
    startTime: z.string().nullable(),
    durationS: z.number().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    signals: z.array(
      z.strictObject({
        name: z.string(),
        unit: z.string().nullable(),
        samplingHz: z.number().nullable(),
        sampleCount: z.number().int().nonnegative(),
      }),
    ),
  }),
  fromMs: z.number(),
  toMs: z.number(),
  signals: z.array(signalWindowSchema),
  annotations: z.array(recordingAnnotationSchema),
  /** Whether more annotations fall in the window than were returned. */
  annotationsTruncated: z.boolean(),
  labels: z.array(labelSchema),
});

/** One worklist row. */
export const worklistItemSchema = z.strictObject({
  kind: z.enum(['study', 'note', 'recording']),
  id,
  patientKey: z.string().nullable(),
  date: z.string().nullable(),
  title: z.string().nullable(),
  detail: z.string().nullable(),
  modality: z.string().nullable(),
  labelState: labelStateSchema,
  /** Highest model score recorded for the item, or null. */
  priority: z.number().nullable(),
  /**
   * The model version whose prediction is `priority` (the latest prediction among equal scores);
   * null exactly when `priority` is.
   */
  model: z.strictObject({ name: z.string(), version: z.string() }).nullable(),
});

/** One audit row. */
export const auditRowSchema = z.strictObject({
  id,
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  targetKind: z.string().nullable(),
  targetId: z.number().int().nullable(),
  detail: z.record(z.string(), z.unknown()).nullable(),
});

/** Progress of a notes or vitals import, sent after every committed batch. */
export const recordsImportProgressSchema = z.strictObject({
  jobId: z.string(),
  kind: z.enum(['notes', 'vitals']),
  ...counts,
  /** Bytes read of `totalBytes` (notes) or records of `total` (vitals), for a progress bar. */
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
});

/** A label supersedes chain: the newest label first, then each one it replaced. */
export const labelChainSchema = z.strictObject({
  task: z.string(),
  windowStartMs: z.number().nullable(),
  windowEndMs: z.number().nullable(),
  /** Whether the chain's newest label is current (no later label replaced it). */
  current: z.boolean(),
  labels: z.array(labelSchema),
});

/** A patient as the case record shows them. */
export const patientSchema = z.strictObject({
  id,
  key: z.string(),
  name: z.string().nullable(),
  birthDate: z.string().nullable(),
  sex: z.string().nullable(),
});

/** One stored model prediction. */
export const storedPredictionSchema = z.strictObject({
  id,
  modelVersionId: id,
  targetKind: labelTargetKindSchema,
  targetId: id,
  output: z.unknown(),
  score: z.number().nullable(),
  createdAt: z.string(),
});

/** One entry of a patient's timeline. */
export const timelineEntrySchema = z.strictObject({
  kind: z.enum(['study', 'series', 'note', 'recording', 'label', 'prediction']),
  id,
  /** ISO date or date-time the entry is placed at (clinical date; the store time for labels and predictions). */
  at: z.string().nullable(),
  title: z.string().nullable(),
  /** The study a series belongs to, the target of a label or prediction. */
  parent: z.strictObject({ kind: z.string(), id }).nullable(),
});

/** Answer of `patients.record`: everything stored for one patient, and one timeline over it. */
export const patientRecordSchema = z.strictObject({
  patient: patientSchema,
  studies: z.array(studySummarySchema.extend({ series: z.array(seriesSummarySchema) })),
  notes: z.array(
    z.strictObject({
      id,
      title: z.string().nullable(),
      kind: z.string().nullable(),
      date: z.string().nullable(),
      source: z.string(),
      /** The first 200 characters (the whole note comes from `notes.get`). */
      excerpt: z.string(),
    }),
  ),
  recordings: z.array(
    z.strictObject({
      id,
      kind: z.string().nullable(),
      source: z.string(),
      sourceKey: z.string().nullable(),
      startTime: z.string().nullable(),
      durationS: z.number().nullable(),
      signals: z.array(z.string()),
    }),
  ),
  /** Every label of the patient's studies, series, instances, notes and recordings, superseded ones included. */
  labels: z.array(labelSchema),
  predictions: z.array(storedPredictionSchema),
  /** All of the above in time order, undated entries last. */
  timeline: z.array(timelineEntrySchema),
});

const dicomStartSchema = z.strictObject({
  kind: z.literal('dicom'),
  paths: z.array(userPathSchema).min(1).max(256),
  jobId: jobId.optional(),
});
const notesStartSchema = notesImportInputSchema.extend({ kind: z.literal('notes') });
const vitalsStartSchema = vitalsImportInputSchema.extend({ kind: z.literal('vitals') });

/** Input of `import.start`: one import of any kind. */
export const importStartInputSchema = z.discriminatedUnion('kind', [
  dicomStartSchema,
  notesStartSchema,
  vitalsStartSchema,
]);

/** Answer of `import.start`: the kind's own summary, tagged with the kind and job id. */
export const importStartOutputSchema = z.discriminatedUnion('kind', [
  dicomImportReportSchema.extend({ kind: z.literal('dicom') }),
  notesImportSummarySchema.extend({ kind: z.literal('notes'), jobId: z.string() }),
  vitalsImportSummarySchema.extend({ kind: z.literal('vitals'), jobId: z.string() }),
]);

/** Channels of the case store: notes, vitals, labels, worklist, audit. */
export const caseStoreChannels = {
  /** Imports notes (and their labels) from a file or folder; progress as `records.importProgress`. */
  'notes.import': { input: notesImportInputSchema, output: notesImportSummarySchema },
  /**
   * Full-text search over notes, best first, with highlighted snippets; `total` counts every match.
   * A query without OR (and without `patientKey`) matching more than 20,000 notes ranks the 20,000
   * most recently added matches; the others follow them, newest first. `ranked` says how many
   * matches were ranked by relevance (`total` unless bounded), so screens can say so. Audited.
   */
  'notes.search': {
    input: z.strictObject({
      query: z.string().min(1).max(500),
      limit: z.number().int().min(1).max(200).default(20),
      offset: z.number().int().min(0).max(100_000).default(0),
      patientKey: z.string().min(1).max(200).optional(),
    }),
    output: z.strictObject({
      total: z.number().int().nonnegative(),
      ranked: z.number().int().nonnegative(),
      hits: z.array(noteHitSchema),
    }),
  },
  /** One note with its labels, and the matches of `query` in it. Audited. */
  'notes.get': {
    input: z.strictObject({ id, query: z.string().max(500).optional() }),
    output: noteSchema,
  },
  /** Imports WFDB records and PhysioNet 2012 stays; progress as `records.importProgress`. */
  'vitals.import': { input: vitalsImportInputSchema, output: vitalsImportSummarySchema },
  /** A time window of a recording's signals (decimated to `maxPoints`), annotations and labels. Audited. */
  'vitals.get': {
    input: z.strictObject({
      recordingId: id,
      fromMs: z.number().nonnegative().finite().default(0),
      /** End of the window; default 10 s after `fromMs`. At most 1 hour wide. */
      toMs: z.number().positive().finite().optional(),
      signals: z.array(z.string().min(1).max(200)).max(64).optional(),
      maxPoints: z.number().int().min(10).max(20_000).default(4_000),
      maxAnnotations: z.number().int().min(0).max(20_000).default(2_000),
      /** Only annotations of this annotator (e.g. `atr`, the reference beat labels); all when absent. */
      annotator: z.string().min(1).max(64).optional(),
    }),
    output: vitalsWindowSchema,
  },
  /** Writes a label (durably, audited); see `supersedes` for what it replaces. */
  'labels.set': {
    input: z.strictObject({
      target: labelTargetSchema,
      task: taskName,
      value: z.string().min(1).max(200),
      source: z.enum(['human', 'model-accepted']).default('human'),
      /**
       * Omitted: replace every current label of this task (settles a dispute). null: add alongside
       * (an independent second read). A label id: replace exactly that label, refused with
       * `conflict` if it is no longer current.
       */
      supersedes: id.nullable().optional(),
    }),
    output: z.strictObject({ labels: z.array(labelSchema), state: labelStateSchema }),
  },
  /** Label history of a target (superseded labels included) and the state per task. Audited. */
  'labels.list': {
    input: z.strictObject({ target: z.strictObject({ kind: labelTargetKindSchema, id }), task: taskName.optional() }),
    output: z.strictObject({ labels: z.array(labelSchema), states: z.array(taskStateSchema) }),
  },
  /** The classes in use per task (current label values), most used first; narrowed by task and target kind. */
  'labels.classes': {
    input: z.strictObject({
      task: taskName.optional(),
      targetKind: labelTargetKindSchema.optional(),
      /** ISO time: also count the labels written after it (e.g. since the active model was made). */
      since: z.string().max(40).optional(),
    }),
    output: z.array(
      z.strictObject({
        task: z.string(),
        value: z.string(),
        count: z.number().int().positive(),
        /** Current labels per source. */
        sources: z.strictObject({
          human: z.number().int().nonnegative(),
          imported: z.number().int().nonnegative(),
          'model-accepted': z.number().int().nonnegative(),
        }),
        /** Current labels written after `since` (0 without it). */
        newSince: z.number().int().nonnegative(),
      }),
    ),
  },
  /** Studies, notes and recordings in one list, filtered and ordered by model priority or date. Audited. */
  'worklist.list': {
    input: z.strictObject({
      kinds: z
        .array(z.enum(['study', 'note', 'recording']))
        .min(1)
        .max(3)
        .optional(),
      patientKey: z.string().min(1).max(200).optional(),
      modality: z
        .string()
        .regex(/^[A-Z0-9]{1,16}$/)
        .optional(),
      dateFrom: isoDate.optional(),
      dateTo: isoDate.optional(),
      labelState: labelStateSchema.optional(),
      task: taskName.optional(),
      sort: z.enum(['priority', 'date']).default('priority'),
      limit: z.number().int().min(1).max(500).default(100),
      offset: z.number().int().min(0).max(1_000_000).default(0),
      /** Keyset paging: a previous page's `nextCursor`; the page continues after its last row. */
      cursor: z.string().min(1).max(1000).optional(),
    }),
    output: z.strictObject({
      items: z.array(worklistItemSchema),
      hasMore: z.boolean(),
      /** Pass as `cursor` for the next page (constant cost at any depth); null on the last page. */
      nextCursor: z.string().nullable(),
    }),
  },
  /** The audit log, newest first. */
  'audit.list': {
    input: z.strictObject({
      action: z.string().min(1).max(100).optional(),
      actor: z.string().min(1).max(200).optional(),
      targetKind: z.string().min(1).max(40).optional(),
      targetId: id.optional(),
      beforeId: id.optional(),
      limit: z.number().int().min(1).max(1000).default(100),
    }),
    output: z.strictObject({ rows: z.array(auditRowSchema) }),
  },
  /**
   * Starts an import of DICOM files, notes or vitals in a worker and answers when it ends.
   * Progress: `import.progress` (DICOM) or `records.importProgress` (notes, vitals), carrying
   * `jobId`; `import.cancel` with the same id stops it (committed batches stay).
   */
  'import.start': { input: importStartInputSchema, output: importStartOutputSchema },
  /** Cancels a running import of any kind by its job id; committed batches stay. */
  'import.cancel': {
    input: z.strictObject({ jobId }),
    output: z.strictObject({ cancelled: z.boolean() }),
  },
  /** Row counts of every store table, the schema version and the store's size on disk. */
  'store.stats': {
    input: z.strictObject({}),
    output: z.strictObject({
      schemaVersion: z.number().int().nonnegative(),
      /** Bytes of the database file and its WAL. */
      bytes: z.number().int().nonnegative(),
      tables: z.record(z.string(), z.number().int().nonnegative()),
    }),
  },
  /** Everything stored for one patient (by id or key) on one timeline. Audited. */
  'patients.record': {
    input: z.union([z.strictObject({ patientId: id }), z.strictObject({ patientKey: z.string().min(1).max(200) })]),
    output: patientRecordSchema,
  },
  /** One study with its series, labels and label state. Audited. */
  'studies.get': {
    input: z.strictObject({ studyId: id }),
    output: z.strictObject({
      study: studySummarySchema,
      series: z.array(seriesSummarySchema),
      labels: z.array(labelSchema),
      states: z.array(taskStateSchema),
    }),
  },
  /** A target's labels as supersedes chains (newest first in each), optionally of one task. Audited. */
  'labels.history': {
    input: z.strictObject({ target: z.strictObject({ kind: labelTargetKindSchema, id }), task: taskName.optional() }),
    output: z.strictObject({ chains: z.array(labelChainSchema) }),
  },
  /** Cancels a running notes or vitals import by its job id; committed batches stay. */
  'records.cancelImport': {
    input: z.strictObject({ jobId }),
    output: z.strictObject({ cancelled: z.boolean() }),
  },
} as const;

/** Events of the case store. */
export const caseStoreEvents = {
  /** A notes or vitals import committed another batch. */
  'records.importProgress': recordsImportProgressSchema,
} as const;

/** A label as the contract carries it. */
export type LabelDto = z.output<typeof labelSchema>;
/** Notes import summary type. */
export type NotesImportSummaryDto = z.output<typeof notesImportSummarySchema>;
/** Vitals import summary type. */
export type VitalsImportSummaryDto = z.output<typeof vitalsImportSummarySchema>;
/** Import progress event payload. */
export type ImportProgressDto = z.output<typeof recordsImportProgressSchema>;
