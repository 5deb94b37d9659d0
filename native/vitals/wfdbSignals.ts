import { WfdbError, type WfdbHeader, type WfdbSignalSpec } from './wfdbHeader.js';

/** One decoded signal: ADC values and physical values (NaN where the sample is invalid). */
export interface DecodedSignal {
  readonly spec: WfdbSignalSpec;
  /** Samples per second (frame rate times samples per frame). */
  readonly samplingHz: number;
  /** ADC values; the invalid-sample sentinel where the record has no value. */
  readonly digital: Int32Array;
  /** `(digital - baseline) / gain`, NaN for invalid samples. */
  readonly physical: Float32Array;
  /** Whether the header's checksum (when given) matches the decoded samples. */
  readonly checksumOk: boolean | null;
}

const BITS: Record<number, number> = {
  8: 8,
  16: 16,
  24: 24,
  32: 32,
  61: 16,
  80: 8,
  160: 16,
  212: 12,
  310: 10,
  311: 10,
};

/** Bits per stored sample of a format, or undefined when unsupported. */
export function formatBits(format: number): number | undefined {
  return BITS[format];
}

/**
 * The ADC value WFDB writes for "no sample" in a format (as wfdb-python's `_digi_nan` and the
 * C library's WFDB_INVALID_SAMPLE: the most negative value of the format's bit width), or null
 * for format 8, whose first differences have no such value.
 */
export function invalidSample(format: number): number | null {
  if (format === 8) return null;
  const bits = BITS[format] ?? 16;
  return -(2 ** (bits - 1));
}

const sx = (v: number, bits: number) => (v << (32 - bits)) >> (32 - bits);

/** Decodes `count` interleaved samples of one format from `bytes`; returns how many were present. */
function decodeStream(format: number, bytes: Uint8Array, count: number, out: Int32Array): number {
  const b = bytes;
  switch (format) {
    case 16: {
      const n = Math.min(count, b.length >> 1);
      for (let i = 0; i < n; i++) out[i] = sx(b[2 * i]! | (b[2 * i + 1]! << 8), 16);
      return n;
    }
    case 61: {
      const n = Math.min(count, b.length >> 1);
      for (let i = 0; i < n; i++) out[i] = sx((b[2 * i]! << 8) | b[2 * i + 1]!, 16);
      return n;
    }
    case 160: {
      const n = Math.min(count, b.length >> 1);
      for (let i = 0; i < n; i++) out[i] = (b[2 * i]! | (b[2 * i + 1]! << 8)) - 32768;
      return n;
    }
    case 80: {
      const n = Math.min(count, b.length);
      for (let i = 0; i < n; i++) out[i] = b[i]! - 128;
      return n;
    }
    case 24: {
      const n = Math.min(count, Math.floor(b.length / 3));
      for (let i = 0; i < n; i++) out[i] = sx(b[3 * i]! | (b[3 * i + 1]! << 8) | (b[3 * i + 2]! << 16), 24);
      return n;
    }
    case 32: {
      const n = Math.min(count, b.length >> 2);
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return n;
    }
    case 212: {
      // Two 12-bit samples in three bytes: low byte of each, then the two high nibbles packed in byte 1.
      let n = 0;
      for (let p = 0; n < count && p + 1 < b.length; p += 3) {
        out[n++] = sx(b[p]! | ((b[p + 1]! & 0x0f) << 8), 12);
        if (n < count && p + 2 < b.length) out[n++] = sx(b[p + 2]! | ((b[p + 1]! & 0xf0) << 4), 12);
      }
      return n;
    }
    case 310: {
      // Three 10-bit samples in a 32-bit little-endian word, in bits 1-10, 12-21 and 23-32.
      let n = 0;
      for (let p = 0; n < count && p + 3 < b.length; p += 4) {
        const w = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        out[n++] = sx((w >>> 1) & 0x3ff, 10);
        if (n < count) out[n++] = sx((w >>> 12) & 0x3ff, 10);
        if (n < count) out[n++] = sx((w >>> 23) & 0x3ff, 10);
      }
      return n;
    }
    case 311: {
      // Three 10-bit samples in a 32-bit little-endian word, in bits 0-9, 10-19 and 20-29.
      let n = 0;
      for (let p = 0; n < count && p + 3 < b.length; p += 4) {
        const w = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
        out[n++] = sx(w & 0x3ff, 10);
        if (n < count) out[n++] = sx((w >>> 10) & 0x3ff, 10);
        if (n < count) out[n++] = sx((w >>> 20) & 0x3ff, 10);
      }
      return n;
    }
    case 8: {
      // First differences: each byte is the signed change from the previous sample of the same signal;
      // handled by the caller, which knows the frame layout. Here: the raw signed bytes.
      const n = Math.min(count, b.length);
      for (let i = 0; i < n; i++) out[i] = sx(b[i]!, 8);
      return n;
    }
    default:
      throw new Error(`format ${format}`);
  }
}

/** Bytes needed to hold `samples` samples of a format. */
function bytesFor(format: number, samples: number): number {
  if (format === 212) return Math.ceil((samples * 3) / 2);
  if (format === 310 || format === 311) return Math.ceil(samples / 3) * 4;
  return samples * ((BITS[format] ?? 16) / 8);
}

/**
 * Decodes every signal of a record from its signal files (read by `readFile(name)`), applying
 * samples-per-frame, skew, byte offset, gain and baseline, and checking the header's checksums.
 * A header that promises more frames than a file holds is refused (a truncated or lying record).
 */
export function decodeWfdbSignals(
  header: WfdbHeader,
  readFile: (name: string) => Uint8Array,
  headerFile: string,
): DecodedSignal[] {
  const groups = new Map<string, number[]>();
  header.signals.forEach((s, i) => {
    const g = groups.get(s.fileName) ?? [];
    g.push(i);
    groups.set(s.fileName, g);
  });
  const result: DecodedSignal[] = new Array(header.signals.length);
  for (const [fileName, members] of groups) {
    const specs = members.map((i) => header.signals[i]!);
    const format = specs[0]!.format;
    if (formatBits(format) === undefined) throw new WfdbError(headerFile, `signal format ${format} is not supported`);
    if (specs.some((s) => s.format !== format))
      throw new WfdbError(headerFile, `${fileName} mixes signal formats, which WFDB does not allow`);
    const offset = specs[0]!.byteOffset;
    let bytes = readFile(fileName);
    if (bytes.length < offset) throw new WfdbError(headerFile, `${fileName} is shorter than its ${offset}-byte header`);
    bytes = bytes.subarray(offset);
    const frameSize = specs.reduce((n, s) => n + s.samplesPerFrame, 0);
    const maxSkew = Math.max(...specs.map((s) => s.skew));
    const framesInFile = Math.floor((bytes.length * 8) / ((formatBits(format) ?? 16) * frameSize) + 1e-9);
    const frames = header.frames > 0 ? header.frames : framesInFile;
    if (header.frames > 0 && framesInFile < header.frames)
      throw new WfdbError(
        headerFile,
        `the header promises ${header.frames} samples per signal but ${fileName} holds only ${framesInFile} (${bytes.length} bytes)`,
      );
    const want = Math.min(frames + maxSkew, framesInFile) * frameSize;
    const raw = new Int32Array(want);
    const got = decodeStream(format, bytes.subarray(0, bytesFor(format, want)), want, raw);
    const invalid = invalidSample(format);
    let col = 0;
    for (let k = 0; k < members.length; k++) {
      const spec = specs[k]!;
      const spf = spec.samplesPerFrame;
      const digital = new Int32Array(frames * spf);
      // The header's checksum and initial value describe the samples as stored, before the skew shift.
      let sum = 0;
      for (let f = 0; f < frames; f++) {
        const srcFrame = f + spec.skew;
        for (let j = 0; j < spf; j++) {
          const idx = srcFrame * frameSize + col + j;
          // Past the end of a skewed file there is no sample: the invalid marker (0, no change, for format 8).
          digital[f * spf + j] = idx < got ? raw[idx]! : (invalid ?? 0);
          const stored = f * frameSize + col + j;
          if (stored < got) sum = (sum + raw[stored]!) | 0;
        }
      }
      if (format === 8) {
        // Undo first differences, starting from the header's initial value.
        let v = spec.initialValue ?? 0;
        for (let i = 0; i < digital.length; i++) {
          v += digital[i]!;
          digital[i] = v;
        }
      }
      col += spf;
      const physical = new Float32Array(digital.length);
      for (let i = 0; i < digital.length; i++) {
        const d = digital[i]!;
        physical[i] = d === invalid ? Number.NaN : (d - spec.baseline) / spec.gain;
      }
      const checksumOk = spec.checksum === null ? null : sx(sum & 0xffff, 16) === spec.checksum;
      result[members[k]!] = { spec, samplingHz: header.frequencyHz * spf, digital, physical, checksumOk };
    }
  }
  return result;
}
