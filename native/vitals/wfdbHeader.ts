/** A malformed or unsupported WFDB record, with the file and reason. */
export class WfdbError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'WfdbError';
  }
}

/** One signal line of a WFDB header. */
export interface WfdbSignalSpec {
  /** Signal file name, relative to the header's folder. */
  readonly fileName: string;
  /** Storage format: 8, 16, 24, 32, 61, 80, 160, 212, 310, 311. */
  readonly format: number;
  /** Samples of this signal per frame (>1 for oversampled signals). */
  readonly samplesPerFrame: number;
  /** Frames by which this signal lags the frame it is stored in. */
  readonly skew: number;
  /** Bytes to skip at the start of the signal file (the `.mat` variant has a 24-byte MATLAB header). */
  readonly byteOffset: number;
  /** ADC units per physical unit (200 when the header gives none or 0). */
  readonly gain: number;
  /** ADC value of physical zero. */
  readonly baseline: number;
  readonly units: string;
  readonly adcResolution: number;
  readonly adcZero: number;
  /** First sample's ADC value, when given (a check on decoding). */
  readonly initialValue: number | null;
  /** 16-bit sum of all samples, when given (a check on decoding). */
  readonly checksum: number | null;
  readonly blockSize: number;
  readonly description: string;
}

/** A parsed single-segment WFDB header. */
export interface WfdbHeader {
  readonly recordName: string;
  /** Frames per second. */
  readonly frequencyHz: number;
  readonly counterFrequencyHz: number | null;
  /** Frames in the record (0 when the header does not say; then the file length decides). */
  readonly frames: number;
  /** `HH:MM:SS[.sss]` as written, or null. */
  readonly baseTime: string | null;
  /** `DD/MM/YYYY` as written, or null. */
  readonly baseDate: string | null;
  readonly signals: readonly WfdbSignalSpec[];
  /** Comment lines without their `#`, in order. */
  readonly comments: readonly string[];
}

const num = (s: string | undefined, file: string, what: string): number => {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isFinite(n))
    throw new WfdbError(file, `${what} "${s ?? ''}" is not a number`);
  return n;
};

/** Parses `format[xspf][:skew][+offset]`. */
function parseFormat(
  field: string,
  file: string,
): Pick<WfdbSignalSpec, 'format' | 'samplesPerFrame' | 'skew' | 'byteOffset'> {
  const m = /^(\d+)(?:x(\d+))?(?::(\d+))?(?:\+(\d+))?$/.exec(field);
  if (m === null) throw new WfdbError(file, `signal format "${field}" is not understood`);
  return {
    format: Number(m[1]),
    samplesPerFrame: m[2] === undefined ? 1 : Math.max(1, Number(m[2])),
    skew: m[3] === undefined ? 0 : Number(m[3]),
    byteOffset: m[4] === undefined ? 0 : Number(m[4]),
  };
}

/** Parses `gain[(baseline)][/units]`; the baseline defaults to the ADC zero, found later. */
function parseGain(
  field: string | undefined,
  file: string,
): { gain: number; baseline: number | null; units: string | null } {
  if (field === undefined) return { gain: 200, baseline: null, units: null };
  const m = /^([-+0-9.eE]+)(?:\(([-+0-9]+)\))?(?:\/(.*))?$/.exec(field);
  if (m === null) throw new WfdbError(file, `ADC gain "${field}" is not understood`);
  const gain = num(m[1], file, 'ADC gain');
  return { gain: gain === 0 ? 200 : gain, baseline: m[2] === undefined ? null : Number(m[2]), units: m[3] ?? null };
}

/**
 * Parses a WFDB header (`.hea`) of a single-segment record. Multi-segment records are refused
 * with a reason. `file` names the header in error messages.
 */
export function parseWfdbHeader(text: string, file: string): WfdbHeader {
  const comments: string[] = [];
  const lines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#')) comments.push(line.slice(1).trim());
    else if (line !== '') lines.push(raw.replace(/#.*$/, '').trim());
  }
  const recordLine = lines[0];
  if (recordLine === undefined) throw new WfdbError(file, 'no record line');
  const fields = recordLine.split(/\s+/);
  const [nameField, nsigField, freqField, framesField, baseTime, baseDate] = fields;
  if (nameField!.includes('/')) throw new WfdbError(file, 'multi-segment records are not supported');
  const nsig = num(nsigField, file, 'signal count');
  let frequencyHz = 250;
  let counterFrequencyHz: number | null = null;
  if (freqField !== undefined) {
    const m = /^([0-9.eE+-]+)(?:\/([0-9.eE+-]+)(?:\(([-0-9.]+)\))?)?$/.exec(freqField);
    if (m === null) throw new WfdbError(file, `sampling frequency "${freqField}" is not understood`);
    frequencyHz = num(m[1], file, 'sampling frequency');
    if (m[2] !== undefined) counterFrequencyHz = num(m[2], file, 'counter frequency');
  }
  if (!(frequencyHz > 0)) throw new WfdbError(file, `sampling frequency ${frequencyHz} is not positive`);
  const frames = framesField === undefined ? 0 : num(framesField, file, 'sample count');
  if (lines.length - 1 < nsig)
    throw new WfdbError(file, `header announces ${nsig} signals but describes ${lines.length - 1}`);
  const signals: WfdbSignalSpec[] = [];
  for (let i = 0; i < nsig; i++) {
    const parts = lines[i + 1]!.split(/\s+/);
    const [fileName, formatField, gainField, resField, zeroField, initField, sumField, blockField] = parts;
    if (fileName === undefined || formatField === undefined)
      throw new WfdbError(file, `signal line ${i + 1} is incomplete`);
    if (fileName.includes('/') || fileName.includes('\\') || fileName === '..')
      throw new WfdbError(file, `signal file "${fileName}" is outside the record's folder`);
    const fmt = parseFormat(formatField, file);
    const gain = parseGain(gainField, file);
    const adcZero = zeroField === undefined ? 0 : num(zeroField, file, 'ADC zero');
    signals.push({
      fileName,
      ...fmt,
      gain: gain.gain,
      baseline: gain.baseline ?? adcZero,
      units: gain.units ?? 'mV',
      adcResolution: resField === undefined ? 0 : num(resField, file, 'ADC resolution'),
      adcZero,
      initialValue: initField === undefined ? null : num(initField, file, 'initial value'),
      checksum: sumField === undefined ? null : num(sumField, file, 'checksum'),
      blockSize: blockField === undefined ? 0 : num(blockField, file, 'block size'),
      description: parts.slice(8).join(' ').trim() || `signal ${i}`,
    });
  }
  return {
    recordName: nameField!,
    frequencyHz,
    counterFrequencyHz,
    frames,
    baseTime: baseTime ?? null,
    baseDate: baseDate ?? null,
    signals,
    comments,
  };
}

/** ISO 8601 start of a record from its base time and date, or null when the header has no date. */
export function wfdbStartTime(header: Pick<WfdbHeader, 'baseTime' | 'baseDate'>): string | null {
  if (header.baseDate === null || header.baseTime === null) return null;
  const d = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(header.baseDate);
  const parts = header.baseTime.split(':');
  if (d === null || parts.length < 2 || parts.length > 3) return null;
  const [h, m, s] = parts.length === 3 ? parts : ['0', ...parts];
  const sec = Number(s);
  if (![h, m].every((x) => /^\d+$/.test(x!)) || !Number.isFinite(sec)) return null;
  const pad = (x: string | number, n = 2) => String(x).padStart(n, '0');
  const whole = Math.floor(sec);
  const ms = Math.round((sec - whole) * 1000);
  return `${d[3]}-${pad(d[2]!)}-${pad(d[1]!)}T${pad(h!)}:${pad(m!)}:${pad(whole)}${ms > 0 ? `.${pad(ms, 3)}` : ''}`;
}
