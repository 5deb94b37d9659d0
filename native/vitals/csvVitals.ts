import { CsvError, parse } from 'csv-parse/sync';
import { decodeBuffer, detectEncoding, normaliseEncoding, type EncodingChoice } from '../text/encoding.js';

/** One signal read from a vitals CSV. */
export interface CsvSignal {
  readonly name: string;
  readonly unit: string | null;
  /** Samples per second when the rows are evenly spaced; null for irregular series. */
  readonly samplingHz: number | null;
  /** Time of the first sample from the recording start, in ms. */
  readonly firstTimeMs: number;
  /** Physical values; NaN where a regular series has no value (a gap). */
  readonly values: Float32Array;
  /** Time of each sample (ms from the start) for irregular series. */
  readonly timesMs?: Float64Array;
}

/** A parsed vitals CSV. */
export interface CsvVitals {
  /** `long`: time, parameter, value (and unit) per row; `wide`: a time column and one column per signal. */
  readonly layout: 'long' | 'wide';
  readonly encoding: EncodingChoice;
  readonly delimiter: string;
  /** ISO start time when the time column holds dates; null for elapsed times. */
  readonly startTime: string | null;
  readonly signals: readonly CsvSignal[];
  /** Last sample time, ms from the start. */
  readonly lastMs: number;
  /** Rows or cells that were not read (1-based line and why); the rest of the file is kept. */
  readonly problems: ReadonlyArray<{ readonly line: number; readonly message: string }>;
}

/** A vitals CSV that cannot be read at all (no time column, a broken quote ...). */
export class CsvVitalsError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = 'CsvVitalsError';
  }
}

const TIME_NAME =
  /^(time|timestamp|datetime|date[ _-]?time|t|elapsed|elapsed[ _-]?time|offset|charttime|seconds|secs?|ms|minutes?|mins?|hours?)(?=$|[\s_([-])/i;
const PARAMETER_NAME = /^(parameter|param|signal|variable|name|measurement|label|vital|item)$/i;
const VALUE_NAME = /^(value|val|reading|result|valuenum)$/i;
const UNIT_NAME = /^(unit|units|uom|valueuom)$/i;
const MISSING = /^(|na|n\/a|nan|null|none|-|--|\?|missing)$/i;

/** Milliseconds per unit of a numeric time column, from its name (`time (ms)`, `t_min`, `seconds` ...); seconds by default. */
function timeScale(column: string): number {
  const c = column.toLowerCase();
  if (/(\(|\[|_|\b)ms(\)|\]|\b)|millis/.test(c)) return 1;
  if (/(\(|\[|_|\b)(min|mins|minutes?)(\)|\]|\b)/.test(c)) return 60_000;
  if (/(\(|\[|_|\b)(h|hr|hrs|hours?)(\)|\]|\b)/.test(c)) return 3_600_000;
  return 1000;
}

/** `HR (bpm)` / `SpO2 [%]` -> name and unit. */
function splitUnit(header: string): { name: string; unit: string | null } {
  const m = /^(.*?)\s*[([]\s*([^)\]]*?)\s*[)\]]\s*$/.exec(header.trim());
  if (m !== null && m[1]!.length > 0) return { name: m[1]!, unit: m[2]! === '' ? null : m[2]! };
  return { name: header.trim(), unit: null };
}

/** Reads a time cell as ms: a number (scaled), elapsed `[-]H:MM[:SS[.fff]]`, or an ISO date-time (absolute). */
function parseTime(cell: string, scale: number): { ms: number; absolute: boolean } | null {
  const s = cell.trim();
  if (s === '') return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { ms: Number(s) * scale, absolute: false };
  const hms = /^(-)?(\d+):([0-5]\d)(?::([0-5]\d(?:\.\d+)?))?$/.exec(s);
  if (hms !== null) {
    const ms = (Number(hms[2]) * 3600 + Number(hms[3]) * 60 + Number(hms[4] ?? 0)) * 1000;
    return { ms: hms[1] ? -ms : ms, absolute: false };
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s)) {
    // Without a zone the time is local clock time of the recording: read it as UTC so the
    // stored start time keeps the digits the file had.
    const iso = s.replace(' ', 'T');
    const ms = Date.parse(/[Zz]|[+-]\d{2}:?\d{2}$/.test(iso) || iso.length === 10 ? iso : `${iso}Z`);
    return Number.isFinite(ms) ? { ms, absolute: true } : null;
  }
  return null;
}

function parseNumber(cell: string, decimalComma: boolean): number | null {
  const s = (decimalComma ? cell.replace(',', '.') : cell).trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
  return Number(s);
}

function delimiterOf(headerLine: string): string {
  const counts = [',', ';', '\t', '|'].map((d) => [d, headerLine.split(d).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

/**
 * Whether the first line of a CSV/TSV names a time column and at least one other column, i.e.
 * looks like vitals rather than notes. Used to pick vitals CSVs out of a folder.
 */
export function isVitalsCsvHeader(firstLine: string): boolean {
  const cols = firstLine
    .replace(/^\uFEFF/, '')
    .split(delimiterOf(firstLine))
    .map((c) => c.trim().replace(/^"|"$/g, ''));
  return cols.length >= 2 && cols.some((c) => TIME_NAME.test(c));
}

/** Whether a strictly increasing time axis is evenly spaced (to a microsecond). */
function evenStep(times: readonly number[]): number | null {
  if (times.length < 3) return null;
  const step = times[1]! - times[0]!;
  if (!(step > 0)) return null;
  for (let i = 2; i < times.length; i++) if (Math.abs(times[i]! - times[i - 1]! - step) > 1e-3) return null;
  return step;
}

/**
 * Parses a vitals CSV or TSV in either layout: long (`time,parameter,value[,unit]` per row) or
 * wide (a time column and one column per signal, units in the header as `HR (bpm)`). The
 * encoding is detected (BOM, UTF-16, UTF-8, else Windows-1252) unless given; `;`-separated files
 * may use a decimal comma. Times are numbers (seconds unless the column name says ms/min/h),
 * elapsed `H:MM[:SS]`, or ISO date-times (then the first is the start time). Empty or NA cells
 * are gaps. A bad row or cell is reported and skipped; a file that cannot be parsed at all
 * (a broken quote, no time column) throws {@link CsvVitalsError} and yields nothing.
 */
export function parseVitalsCsv(bytes: Uint8Array, options: { encoding?: string } = {}): CsvVitals {
  let encoding: EncodingChoice;
  if (options.encoding !== undefined) {
    const forced = normaliseEncoding(options.encoding);
    if (forced === null) throw new CsvVitalsError(0, `unknown encoding ${JSON.stringify(options.encoding)}`);
    encoding = { encoding: forced, bom: false, method: 'forced', confidence: 100 };
  } else encoding = detectEncoding(bytes.subarray(0, 1 << 20), bytes.length <= 1 << 20);
  const text = decodeBuffer(bytes, encoding.encoding);
  const firstLine = text.slice(0, Math.max(0, text.search(/\r?\n/)) || text.length);
  const delimiter = delimiterOf(firstLine);
  let rows: string[][];
  /** 1-based line each row ends on, for messages. */
  let lines: number[];
  try {
    const parsed = parse(text, {
      delimiter,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
    rows = parsed.map((p) => p.record);
    lines = parsed.map((p) => p.info.lines);
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines ?? 0;
      throw new CsvVitalsError(line, `cannot read the file as CSV near line ${line}: ${error.message}`);
    }
    throw error;
  }
  if (rows.length === 0) throw new CsvVitalsError(0, 'the file is empty');
  const header = rows[0]!.map((h) => h.trim());
  const timeCol = header.findIndex((h) => TIME_NAME.test(h));
  if (timeCol < 0) throw new CsvVitalsError(1, `no time column in the header (${header.slice(0, 6).join(', ')})`);
  const scale = timeScale(header[timeCol]!);
  const decimalComma = delimiter === ';';
  const problems: Array<{ line: number; message: string }> = [];
  const problem = (row: number, message: string) => {
    if (problems.length < 1000) problems.push({ line: lines[row] ?? 0, message });
  };
  const paramCol = header.findIndex((h) => PARAMETER_NAME.test(h));
  const valueCol = header.findIndex((h) => VALUE_NAME.test(h));
  const unitCol = header.findIndex((h) => UNIT_NAME.test(h));
  const layout: 'long' | 'wide' = paramCol >= 0 && valueCol >= 0 ? 'long' : 'wide';

  let absolute: boolean | null = null;
  const times: Array<{ row: number; ms: number }> = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== header.length) {
      problem(r, `has ${row.length} field(s), the header has ${header.length}`);
      continue;
    }
    const t = parseTime(row[timeCol]!, scale);
    if (t === null) {
      problem(r, `time ${JSON.stringify(row[timeCol]!.slice(0, 40))} is not a number, H:MM[:SS] or ISO date-time`);
      continue;
    }
    absolute ??= t.absolute;
    if (t.absolute !== absolute) {
      problem(r, 'mixes a date-time with elapsed times');
      continue;
    }
    times.push({ row: r, ms: t.ms });
  }
  if (times.length === 0) throw new CsvVitalsError(2, 'no row with a readable time');
  const origin = absolute ? Math.min(...times.map((t) => t.ms)) : 0;
  const startTime = absolute ? new Date(origin).toISOString() : null;

  const signals: CsvSignal[] = [];
  let lastMs = 0;
  if (layout === 'long') {
    const byName = new Map<string, { unit: string | null; t: number[]; v: number[] }>();
    for (const { row: r, ms } of times) {
      const row = rows[r]!;
      const raw = row[valueCol]!;
      if (MISSING.test(raw.trim())) continue;
      const value = parseNumber(raw, decimalComma);
      const split = splitUnit(row[paramCol]!);
      if (split.name === '') {
        problem(r, 'has no parameter name');
        continue;
      }
      if (value === null) {
        problem(r, `${split.name}: value ${JSON.stringify(raw.slice(0, 40))} is not a number`);
        continue;
      }
      const unit = unitCol >= 0 && row[unitCol]!.trim() !== '' ? row[unitCol]!.trim() : split.unit;
      let s = byName.get(split.name);
      if (s === undefined) byName.set(split.name, (s = { unit, t: [], v: [] }));
      else if (unit !== null && s.unit !== null && unit !== s.unit) {
        problem(r, `${split.name}: unit ${unit} differs from ${s.unit} earlier in the file`);
        continue;
      } else s.unit ??= unit;
      s.t.push(ms - origin);
      s.v.push(value);
    }
    for (const [name, s] of byName) {
      const order = s.t.map((_, i) => i).sort((a, b) => s.t[a]! - s.t[b]! || a - b);
      const t = order.map((i) => s.t[i]!);
      const v = order.map((i) => s.v[i]!);
      lastMs = Math.max(lastMs, t.at(-1) ?? 0);
      const step = evenStep(t);
      signals.push(
        step === null
          ? {
              name,
              unit: s.unit,
              samplingHz: null,
              firstTimeMs: t[0] ?? 0,
              values: Float32Array.from(v),
              timesMs: Float64Array.from(t),
            }
          : { name, unit: s.unit, samplingHz: 1000 / step, firstTimeMs: t[0]!, values: Float32Array.from(v) },
      );
    }
  } else {
    const sorted = [...times].sort((a, b) => a.ms - b.ms || a.row - b.row);
    const t = sorted.map((x) => x.ms - origin);
    lastMs = t.at(-1) ?? 0;
    const step = evenStep(t);
    const seen = new Set<string>();
    header.forEach((h, c) => {
      if (c === timeCol || h === '') return;
      const split = splitUnit(h);
      const unit = split.unit;
      const name = seen.has(split.name) ? `${split.name} (${c + 1})` : split.name;
      seen.add(name);
      const values = new Float32Array(sorted.length);
      sorted.forEach(({ row: r }, i) => {
        const raw = rows[r]![c]!;
        if (MISSING.test(raw.trim())) values[i] = Number.NaN;
        else {
          const v = parseNumber(raw, decimalComma);
          if (v === null) problem(r, `${name}: value ${JSON.stringify(raw.slice(0, 40))} is not a number`);
          values[i] = v ?? Number.NaN;
        }
      });
      if (step !== null) {
        signals.push({ name, unit, samplingHz: 1000 / step, firstTimeMs: t[0]!, values });
        return;
      }
      // Irregular rows: each signal keeps only the times it has a value at.
      const keep = [...values.keys()].filter((i) => !Number.isNaN(values[i]!));
      signals.push({
        name,
        unit,
        samplingHz: null,
        firstTimeMs: keep.length > 0 ? t[keep[0]!]! : 0,
        values: Float32Array.from(keep, (i) => values[i]!),
        timesMs: Float64Array.from(keep, (i) => t[i]!),
      });
    });
  }
  if (signals.length === 0) throw new CsvVitalsError(1, 'no signal column or parameter with a value');
  return { layout, encoding, delimiter, startTime, signals, lastMs, problems };
}
