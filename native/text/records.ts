import { OslerError } from '../contract/result.js';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { pipeline } from 'node:stream';
import { parse } from 'csv-parse';
import {
  decodeBuffer,
  decoderStream,
  detectEncoding,
  DETECT_SAMPLE_BYTES,
  type EncodingChoice,
  type TextEncoding,
} from './encoding.js';
import { LineEndingNormaliser, splitLines } from './lines.js';

/** The largest note accepted, in characters (8 Mi): a bigger "note" is a wrong column or a broken file. */
export const MAX_NOTE_CHARS = 8 * 1024 * 1024;

/** Layouts the notes importer reads. */
export type NotesFormat = 'csv' | 'tsv' | 'jsonl' | 'txt';

/** One record read from a source, or why a record could not be read. */
export type SourceRecord =
  | {
      readonly ok: true;
      /** First line of the record (1-based), or 0 for a whole file. */
      readonly line: number;
      /** File the record came from, relative to a folder source; null for single files. */
      readonly file: string | null;
      /** Field lookup by (already resolved) column; undefined when absent. */
      readonly fields: Readonly<Record<string, string | undefined>>;
    }
  | {
      readonly ok: false;
      readonly line: number;
      readonly file: string | null;
      readonly message: string;
      /** Whether reading stopped here (nothing after this point was read). */
      readonly fatal?: boolean;
    };

/** An opened source: its columns (when tabular), the encoding chosen, and its records. */
export interface OpenedSource {
  readonly format: NotesFormat;
  /** Header names for CSV/TSV, keys seen in the first objects for JSONL, `text` / `file` for folders. */
  readonly columns: readonly string[];
  /** Encoding of the file (null for folders: chosen per file and counted in `encodings`). */
  readonly encoding: EncodingChoice | null;
  /** Encodings chosen per file of a folder, counted, filled while records are read. */
  readonly encodings: Map<string, number>;
  /** Bytes read so far and in total, for progress. */
  bytesRead(): number;
  readonly totalBytes: number;
  records(): AsyncGenerator<SourceRecord>;
}

async function readSample(path: string): Promise<{ sample: Uint8Array; size: number }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, DETECT_SAMPLE_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return { sample: buffer.subarray(0, bytesRead), size };
  } finally {
    await handle.close();
  }
}

/** Chooses CSV, TSV or JSONL for a file from its extension, else from its first line. */
export function guessFormat(path: string, firstText: string): Exclude<NotesFormat, 'txt'> {
  const ext = extname(path).toLowerCase();
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  const first = firstText.replace(/^\uFEFF/, '').split('\n', 1)[0] ?? '';
  if (first.trimStart().startsWith('{')) return 'jsonl';
  const tabs = first.split('\t').length;
  const commas = first.split(',').length;
  return tabs > commas ? 'tsv' : 'csv';
}

function decodedStream(path: string, encoding: TextEncoding, onBytes: (n: number) => void): NodeJS.ReadableStream {
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  file.on('data', (chunk) => onBytes((chunk as Buffer).length));
  const normaliser = new LineEndingNormaliser();
  // pipeline forwards errors (an unreadable file) to the last stream, which the reader awaits.
  return pipeline(file, decoderStream(encoding), normaliser, () => undefined);
}

/**
 * Opens one CSV, TSV or JSONL file: detects (or takes) its encoding, reads the header, and
 * returns a streaming record reader. Malformed records come back as `ok: false` with their line.
 */
export async function openFileSource(
  path: string,
  options: { format?: Exclude<NotesFormat, 'txt'>; encoding?: TextEncoding },
): Promise<OpenedSource> {
  const { sample, size } = await readSample(path);
  const detected = detectEncoding(sample, sample.length === size);
  const encoding: EncodingChoice =
    options.encoding !== undefined
      ? { encoding: options.encoding, bom: detected.bom, method: 'forced', confidence: 100 }
      : detected;
  const head = decodeBuffer(sample.subarray(0, 64 * 1024), encoding.encoding);
  const format = options.format ?? guessFormat(path, head);
  let read = 0;
  const onBytes = (n: number) => {
    read += n;
  };
  const base = { format, encoding, encodings: new Map<string, number>(), totalBytes: size, bytesRead: () => read };
  if (format === 'jsonl')
    return {
      ...base,
      columns: jsonlColumns(head),
      records: () => jsonlRecords(decodedStream(path, encoding.encoding, onBytes)),
    };

  const delimiter = format === 'tsv' ? '\t' : ',';
  const headerRecord = await readHeader(path, encoding.encoding, delimiter);
  const columns = headerRecord.map((c) => c.trim());
  return {
    ...base,
    columns,
    records: () => csvRecords(decodedStream(path, encoding.encoding, onBytes), delimiter, columns),
  };
}

/** Longest header line accepted, in characters. */
const MAX_HEADER_CHARS = 1 << 20;

async function readHeader(path: string, encoding: TextEncoding, delimiter: string): Promise<string[]> {
  const parser = decodedStream(path, encoding, () => undefined).pipe(
    parse({ delimiter, relax_quotes: true, to_line: 1, max_record_size: MAX_HEADER_CHARS }),
  );
  try {
    for await (const record of parser) return record as string[];
  } catch (error) {
    if ((error as { code?: string }).code === 'CSV_MAX_RECORD_SIZE')
      throw new OslerError(
        'invalid-input',
        `${path}: the header line is longer than ${MAX_HEADER_CHARS} characters (too many columns)`,
      );
    throw error;
  }
  return [];
}

function jsonlColumns(head: string): string[] {
  const keys = new Set<string>();
  for (const line of head.split('\n').slice(0, 50)) {
    try {
      const value = JSON.parse(line) as unknown;
      if (value !== null && typeof value === 'object' && !Array.isArray(value))
        for (const k of Object.keys(value)) keys.add(k);
    } catch {
      // a malformed line is reported when records are read
    }
  }
  return [...keys];
}

function fieldText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

async function* jsonlRecords(stream: NodeJS.ReadableStream): AsyncGenerator<SourceRecord> {
  for await (const item of splitLines(stream as AsyncIterable<string>, MAX_NOTE_CHARS)) {
    if ('tooLong' in item) {
      yield {
        ok: false,
        line: item.line,
        file: null,
        message: `line is ${item.tooLong} characters, more than the ${MAX_NOTE_CHARS} a note may have`,
      };
      continue;
    }
    if (item.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(item.text);
    } catch (error) {
      yield { ok: false, line: item.line, file: null, message: `not valid JSON (${(error as Error).message})` };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { ok: false, line: item.line, file: null, message: 'not a JSON object' };
      continue;
    }
    const fields: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(value)) fields[k] = fieldText(v);
    yield { ok: true, line: item.line, file: null, fields };
  }
}

interface CsvSkipError extends Error {
  code?: string;
  lines?: number;
}

function describeCsvError(error: CsvSkipError, columns: number): string {
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const got = /got (\d+)/.exec(error.message)?.[1];
      return `has ${got ?? 'a different number of'} field(s), the header has ${columns}`;
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed; the rest of the file was read as part of it and not imported';
    case 'CSV_MAX_RECORD_SIZE':
      return `a record is longer than ${MAX_NOTE_CHARS} characters (the largest note accepted); reading stopped here`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a closing quote is followed by other characters instead of a delimiter';
    default:
      return error.message.split('\n')[0] ?? 'unreadable record';
  }
}

async function* csvRecords(
  stream: NodeJS.ReadableStream,
  delimiter: string,
  columns: readonly string[],
): AsyncGenerator<SourceRecord> {
  const skipped: SourceRecord[] = [];
  let lastEnd = 1;
  const parser = stream.pipe(
    parse({
      delimiter,
      from_line: 2,
      info: true,
      relax_quotes: true,
      // Field counts are checked against the header below: csv-parse compares with the first data row.
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      max_record_size: MAX_NOTE_CHARS,
      on_skip: (error: CsvSkipError | undefined) => {
        if (error === undefined) return;
        const end = error.lines ?? lastEnd + 1;
        const fatal = error.code === 'CSV_MAX_RECORD_SIZE' || error.code === 'CSV_QUOTE_NOT_CLOSED';
        const line = error.code === 'CSV_MAX_RECORD_SIZE' || error.code === 'CSV_QUOTE_NOT_CLOSED' ? lastEnd + 1 : end;
        skipped.push({ ok: false, line, file: null, message: describeCsvError(error, columns.length), fatal });
        lastEnd = end;
      },
    }),
  );
  for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    while (skipped.length > 0) yield skipped.shift()!;
    const lines = item.record.reduce((n, f) => n + countNewlines(f), 0);
    const line = item.info.lines - lines;
    lastEnd = item.info.lines;
    if (item.record.length !== columns.length) {
      yield {
        ok: false,
        line,
        file: null,
        message: `has ${item.record.length} field(s), the header has ${columns.length}`,
      };
      continue;
    }
    const fields: Record<string, string | undefined> = {};
    columns.forEach((c, i) => {
      fields[c] = item.record[i];
    });
    yield { ok: true, line, file: null, fields };
  }
  while (skipped.length > 0) yield skipped.shift()!;
}

function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

async function listTextFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && extname(e.name).toLowerCase() === '.txt') out.push(full);
    }
  };
  await walk(root);
  return out;
}

/**
 * Opens a folder of .txt files (searched recursively, in name order): one note per file, its
 * encoding detected per file. Fields: `text`, `file` (path relative to the folder), `name`
 * (file name without .txt) and `folder` (the parent folder's name, usable as a label column).
 */
export async function openFolderSource(root: string, options: { encoding?: TextEncoding }): Promise<OpenedSource> {
  const files = await listTextFiles(root);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let read = 0;
  const encodings = new Map<string, number>();
  async function* records(): AsyncGenerator<SourceRecord> {
    for (let i = 0; i < files.length; i++) {
      const full = files[i]!;
      const rel = relative(root, full);
      const size = sizes[i]!;
      read += size;
      // UTF-16 doubles the bytes per character at most, so this only refuses what cannot fit.
      if (size > MAX_NOTE_CHARS * 4) {
        yield {
          ok: false,
          line: 0,
          file: rel,
          message: `file is ${size} bytes, more than a note may have (${MAX_NOTE_CHARS} characters)`,
        };
        continue;
      }
      let bytes: Buffer;
      try {
        bytes = await readFile(full);
      } catch (error) {
        yield {
          ok: false,
          line: 0,
          file: rel,
          message: `cannot read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
        };
        continue;
      }
      const choice = options.encoding ?? detectEncoding(bytes, true).encoding;
      encodings.set(choice, (encodings.get(choice) ?? 0) + 1);
      const text = decodeBuffer(bytes, choice).replace(/\r\n?/g, '\n');
      if (text.length > MAX_NOTE_CHARS) {
        yield {
          ok: false,
          line: 0,
          file: rel,
          message: `file has ${text.length} characters, more than the ${MAX_NOTE_CHARS} a note may have`,
        };
        continue;
      }
      const parts = rel.split(/[\\/]/);
      yield {
        ok: true,
        line: 0,
        file: rel,
        fields: {
          text,
          file: rel,
          name: parts.at(-1)!.replace(/\.txt$/i, ''),
          folder: parts.length > 1 ? parts.at(-2) : undefined,
        },
      };
    }
  }
  return {
    format: 'txt',
    columns: ['text', 'file', 'name', 'folder'],
    encoding: null,
    encodings,
    totalBytes,
    bytesRead: () => read,
    records,
  };
}
