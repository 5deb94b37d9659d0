import { statSync } from 'node:fs';
import { OslerError } from '../../contract/result.js';
import { openFileSource } from '../../text/records.js';
import type { BundleMetadata, InputSpec } from '../bundle.js';
import type { TensorData } from '../engine/protocol.js';
import { tokenize } from '../text/tokenizer.js';
import type { EncodedSet, LoadOptions, TaskPipeline } from './types.js';

type TextInput = Extract<InputSpec, { kind: 'text' }>;

/**
 * Featurisation of the bag-of-n-grams encoding (`input.options.features === 'ngram-bag'`): a note
 * becomes the set of its word tokens, word bigrams (`"a b"`) and character n-grams of each word
 * with boundary marks (`"c:<ca"`), each looked up in the vocabulary; features outside it are
 * dropped, each feature appears once (first occurrence order), and the list is truncated and
 * padded to `sequenceLength`.
 */
export interface NgramBagOptions {
  readonly features: 'ngram-bag';
  /** Word n-gram orders beyond unigrams: 2 = also bigrams. */
  readonly wordNgrams: number;
  /** Character n-gram lengths [min, max]; [0, 0] = none. */
  readonly charNgrams: readonly [number, number];
  /**
   * When > 0, each feature is encoded once as `id * countBase + count` (its count in the note,
   * capped at `countBase - 1`), for models that weight features by term frequency.
   */
  readonly countBase?: number;
}

/** Settings a text bundle records so any CSV in the training layout can be read and labelled. */
export interface TextDataOptions {
  /** Default text / label columns (the training file's). */
  readonly textColumn?: string;
  readonly labelColumn?: string;
  /** Raw label value per class index (e.g. `"1"` for `neoplasms`); class names are accepted too. */
  readonly labelCodes?: readonly string[];
}

/** Every feature string of one note under an n-gram-bag encoding, unique, in first-seen order. */
export function ngramFeatures(text: string, options: NgramBagOptions): string[] {
  return [...ngramFeatureCounts(text, options).keys()];
}

/** Every feature string of one note with its count, in first-seen order. */
export function ngramFeatureCounts(text: string, options: NgramBagOptions): Map<string, number> {
  const tokens = tokenize(text);
  const seen = new Map<string, number>();
  const add = (f: string) => {
    seen.set(f, (seen.get(f) ?? 0) + 1);
  };
  for (const t of tokens) add(t);
  for (let n = 2; n <= options.wordNgrams; n++)
    for (let i = 0; i + n <= tokens.length; i++) add(tokens.slice(i, i + n).join(' '));
  const [lo, hi] = options.charNgrams;
  if (lo > 0)
    for (const t of tokens) {
      if (t === '<num>') continue;
      const w = `<${t}>`;
      for (let n = lo; n <= hi; n++) for (let i = 0; i + n <= w.length; i++) add(`c:${w.slice(i, i + n)}`);
    }
  return seen;
}

function textInput(metadata: BundleMetadata): TextInput {
  if (metadata.input.kind !== 'text')
    throw new OslerError(
      'invalid-input',
      `model ${metadata.name} does not take notes (its input is ${metadata.input.kind})`,
    );
  return metadata.input;
}

function bagOptions(input: TextInput): NgramBagOptions | null {
  const o = input.options as Partial<NgramBagOptions> | undefined;
  if (o?.features !== 'ngram-bag') return null;
  return {
    features: 'ngram-bag',
    wordNgrams: o.wordNgrams ?? 1,
    charNgrams: o.charNgrams ?? [0, 0],
    ...(o.countBase !== undefined && o.countBase > 0 ? { countBase: o.countBase } : {}),
  };
}

const lookups = new WeakMap<readonly string[], Map<string, number>>();

function lookup(vocabulary: readonly string[]): Map<string, number> {
  let map = lookups.get(vocabulary);
  if (map === undefined) {
    map = new Map(vocabulary.map((w, i) => [w, i]));
    lookups.set(vocabulary, map);
  }
  return map;
}

/** Feature/token ids of one note, truncated and padded as the input spec says. */
function encodeOne(input: TextInput, bag: NgramBagOptions | null, text: string, out: Int32Array, offset: number): void {
  const map = lookup(input.vocabulary);
  const L = input.sequenceLength;
  let ids: number[];
  if (bag !== null) {
    ids = [];
    const base = bag.countBase ?? 0;
    for (const [f, count] of ngramFeatureCounts(text, bag)) {
      const id = map.get(f);
      if (id !== undefined && id > 2) ids.push(base > 0 ? id * base + Math.min(count, base - 1) : id);
    }
  } else {
    // Word sequences: unknown words keep their place as <unk> (id 1).
    ids = tokenize(text).map((t) => map.get(t) ?? 1);
  }
  if (ids.length > L) ids = input.truncation === 'head' ? ids.slice(0, L) : ids.slice(ids.length - L);
  const start = input.padding === 'pre' ? L - ids.length : 0;
  for (let i = 0; i < ids.length; i++) out[offset + start + i] = ids[i]!;
}

/**
 * Encodes notes for a text model with the bundle's input spec: the model input [n,
 * sequenceLength] of int32 ids (word ids, or n-gram feature ids for bag-of-n-gram models).
 */
export function encodeTexts(metadata: BundleMetadata, texts: readonly string[]): TensorData {
  const input = textInput(metadata);
  const bag = bagOptions(input);
  const L = input.sequenceLength;
  const values = new Int32Array(texts.length * L);
  texts.forEach((t, i) => encodeOne(input, bag, t, values, i * L));
  return { shape: [texts.length, L], dtype: 'int32', values };
}

function resolveColumn(spec: string, columns: readonly string[], flag: string, path: string): string {
  const exact = columns.find((c) => c === spec) ?? columns.find((c) => c.toLowerCase() === spec.toLowerCase());
  if (exact !== undefined) return exact;
  const m = /^#(\d+)$/.exec(spec);
  if (m !== null) {
    const i = Number(m[1]);
    if (i >= 1 && i <= columns.length) return columns[i - 1]!;
  }
  throw new OslerError(
    'invalid-input',
    `${path}: ${flag} "${spec}" names no column; columns are ${columns.map((c) => JSON.stringify(c)).join(', ')}`,
  );
}

/** Class index of a raw label value: a recorded label code or a class name (case-insensitive). */
export function classIndexOf(metadata: BundleMetadata, value: string): number {
  const v = value.trim();
  const codes = (textDataOptions(metadata).labelCodes ?? []).map((c) => c.trim());
  const byCode = codes.indexOf(v);
  if (byCode >= 0) return byCode;
  return metadata.outputs.findIndex((c) => c.toLowerCase() === v.toLowerCase());
}

/** The data options a text bundle records in `input.options`. */
export function textDataOptions(metadata: BundleMetadata): TextDataOptions {
  return (metadata.input.kind === 'text' ? (metadata.input.options ?? {}) : {}) as TextDataOptions;
}

/** Notes read from a CSV/TSV: texts, raw labels (null when unlabelled), ids, and skipped rows. */
export interface NotesTable {
  readonly texts: string[];
  readonly labels: string[] | null;
  readonly ids: string[];
  readonly patientIds: string[];
  readonly skipped: { id: string; reason: string }[];
}

/**
 * Reads a notes CSV/TSV/JSONL with the project's notes reader (encoding detection, quoted
 * multi-line fields). Text and label columns default to `defaults` (the bundle's training
 * columns); without a label column the notes come back unlabelled.
 */
export async function readNotesTable(
  path: string,
  options: LoadOptions,
  defaults: { textColumn?: string; labelColumn?: string } = {},
): Promise<NotesTable> {
  try {
    if (!statSync(path).isFile()) throw new OslerError('invalid-input', `${path} is not a CSV/TSV file`);
  } catch (error) {
    if (error instanceof OslerError) throw error;
    throw new OslerError('not-found', `cannot read the notes file ${path}`);
  }
  const source = await openFileSource(path, {});
  const cols = source.columns;
  const textSpec = options.textCol ?? defaults.textColumn;
  if (textSpec === undefined) throw new OslerError('invalid-input', `${path}: name the text column with --text-col`);
  const textCol = resolveColumn(textSpec, cols, '--text-col', path);
  const labelSpec = options.labelCol ?? defaults.labelColumn;
  const labelCol =
    options.labelCol !== undefined
      ? resolveColumn(options.labelCol, cols, '--label-col', path)
      : labelSpec !== undefined
        ? cols.find((c) => c.toLowerCase() === labelSpec.toLowerCase())
        : undefined;
  const idCol = options.idCol !== undefined ? resolveColumn(options.idCol, cols, '--id-col', path) : undefined;
  const patientCol =
    options.patientCol !== undefined ? resolveColumn(options.patientCol, cols, '--patient-col', path) : undefined;
  const texts: string[] = [];
  const labels: string[] = [];
  const ids: string[] = [];
  const patientIds: string[] = [];
  const skipped: { id: string; reason: string }[] = [];
  let row = 0;
  for await (const record of source.records()) {
    if (options.limit !== undefined && texts.length >= options.limit) break;
    row++;
    if (!record.ok) {
      skipped.push({ id: `line:${record.line}`, reason: record.message });
      continue;
    }
    const id = (idCol !== undefined ? record.fields[idCol] : undefined) ?? `row:${row}`;
    const text = record.fields[textCol] ?? '';
    if (text.trim() === '') {
      skipped.push({ id, reason: 'empty text' });
      continue;
    }
    if (labelCol !== undefined) {
      const label = (record.fields[labelCol] ?? '').trim();
      if (label === '') {
        skipped.push({ id, reason: 'no label' });
        continue;
      }
      labels.push(label);
    }
    texts.push(text);
    ids.push(id);
    patientIds.push((patientCol !== undefined ? record.fields[patientCol] : undefined) ?? id);
  }
  return { texts, labels: labelCol !== undefined ? labels : null, ids, patientIds, skipped };
}

/**
 * Reads a notes CSV/TSV in the layout of a text bundle's training file (`--text-col` /
 * `--label-col`, defaulting to the training columns) and encodes it with the bundle's input spec.
 * Label values map to classes through the recorded label codes (e.g. `1`..`5`) or the class
 * names; rows with an unknown label are skipped with the reason.
 */
export async function loadNotes(
  path: string,
  metadata: BundleMetadata,
  options: LoadOptions = {},
): Promise<EncodedSet> {
  textInput(metadata);
  const data = textDataOptions(metadata);
  const table = await readNotesTable(path, options, { textColumn: data.textColumn, labelColumn: data.labelColumn });
  const skipped = [...table.skipped];
  const keep: number[] = [];
  const classes: number[] = [];
  table.texts.forEach((_, i) => {
    if (table.labels === null) return keep.push(i);
    const c = classIndexOf(metadata, table.labels[i]!);
    if (c < 0)
      skipped.push({ id: table.ids[i]!, reason: `label "${table.labels[i]}" is not one of the model's classes` });
    else {
      keep.push(i);
      classes.push(c);
    }
  });
  const x = encodeTexts(
    metadata,
    keep.map((i) => table.texts[i]!),
  );
  const ids = keep.map((i) => table.ids[i]!);
  const patientIds = keep.map((i) => table.patientIds[i]!);
  if (table.labels === null) return { x, y: null, labels: null, ids, patientIds, skipped };
  const k = metadata.outputs.length;
  const y = new Float32Array(keep.length * k);
  classes.forEach((c, i) => (y[i * k + c] = 1));
  return {
    x,
    y: { shape: [keep.length, k], dtype: 'float32', values: y },
    labels: Int32Array.from(classes),
    ids,
    patientIds,
    skipped,
  };
}

/** The text task: notes CSV/TSV in, encoded with the bundle's input spec. */
export const textPipeline: TaskPipeline = { task: 'text', load: loadNotes };
