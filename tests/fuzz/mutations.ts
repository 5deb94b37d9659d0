/**
 * Deterministic mutations of real DICOM files for the engine's fuzzing (the CI short run in
 * tests/unit/dicom/fuzz.test.ts and the long `npm run fuzz`). Every mutation is a pure function of the seed
 * file and a fast-check-generated description, so any failing case can be rebuilt from (seed, index).
 */
import fc from 'fast-check';
import {
  DicomParseError,
  decodeFrame,
  displayFrame,
  extractMetadata,
  parseDicom,
  readPixelModule,
  type DicomErrorReason,
} from '../../native/dicom/index.js';

/** One element of a seed file: where its header starts, where its length field and value are. */
export interface ElementSpan {
  readonly headerStart: number;
  readonly lengthAt: number;
  readonly lengthSize: 2 | 4;
  readonly dataOffset: number;
  readonly length: number;
  /** Length field byte order (the File Meta group is always little endian). */
  readonly bigEndian: boolean;
}

/** A seed file with its element layout (top level and sequence items) and encapsulated fragments. */
export interface Seed {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly elements: readonly ElementSpan[];
  /** Fragment item headers (FFFE,E000) of encapsulated Pixel Data, the Basic Offset Table first. */
  readonly fragments: readonly { readonly itemAt: number; readonly position: number; readonly length: number }[];
}

const SHORT_VRS = new Set('AE AS AT CS DA DS DT FL FD IS LO LT PN SH SL SS ST TM UI UL US'.split(' '));

/** Map a seed's elements (recursing into sequences) and fragments, using the engine's parser. */
export function describeSeed(name: string, bytes: Uint8Array): Seed {
  const ds = parseDicom(bytes);
  const elements: ElementSpan[] = [];
  const fragments: Seed['fragments'][number][] = [];
  const explicit = ds.transferSyntaxUid !== '1.2.840.10008.1.2';
  const data = ds.raw.byteArray;
  // Deflated files (and files given a preamble) are parsed from a copy: offsets would not address these bytes.
  if (data.buffer !== bytes.buffer || data.byteOffset !== bytes.byteOffset) return { name, bytes, elements, fragments };
  const walk = (set: typeof ds.raw): void => {
    for (const el of Object.values(set.elements)) {
      if (el.dataOffset === undefined) continue;
      const group = Number.parseInt(el.tag.slice(1, 5), 16);
      const short = (explicit || group === 2) && el.vr !== undefined && SHORT_VRS.has(el.vr);
      const lengthSize = short ? 2 : 4;
      const lengthAt = el.dataOffset - lengthSize;
      const headerStart = short || !(explicit || group === 2) ? el.dataOffset - 8 : el.dataOffset - 12;
      if (headerStart >= 0)
        elements.push({
          headerStart,
          lengthAt,
          lengthSize,
          dataOffset: el.dataOffset,
          length: el.length,
          bigEndian: ds.bigEndian && group !== 2,
        });
      for (const item of el.items ?? []) if (item.dataSet) walk(item.dataSet);
      if (el.fragments) {
        for (const f of el.fragments)
          fragments.push({ itemAt: f.position - 8, position: f.position, length: f.length });
      }
    }
  };
  walk(ds.raw);
  elements.sort((a, b) => a.headerStart - b.headerStart);
  return { name, bytes, elements, fragments };
}

/** What to do to a seed. `pick`/`value`/`bytes` are raw randomness interpreted per kind. */
export interface Mutation {
  readonly seed: number;
  readonly kind:
    | 'flip-bits'
    | 'overwrite'
    | 'truncate-at-tag'
    | 'truncate-anywhere'
    | 'length'
    | 'huge-length'
    | 'splice'
    | 'deep-nesting'
    | 'fragment'
    | 'codestream';
  readonly pick: number;
  readonly value: number;
  readonly bytes: Uint8Array;
}

/** fast-check arbitrary for mutations of `seedCount` seed files. */
export function mutationArbitrary(seedCount: number): fc.Arbitrary<Mutation> {
  return fc.record({
    seed: fc.nat({ max: seedCount - 1 }),
    kind: fc.constantFrom<Mutation['kind']>(
      'flip-bits',
      'overwrite',
      'truncate-at-tag',
      'truncate-anywhere',
      'length',
      'huge-length',
      'splice',
      'deep-nesting',
      'fragment',
      'codestream',
    ),
    pick: fc.nat(),
    value: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
  });
}

const LENGTH_VALUES = [0, 1, 2, 3, 4, 7, 0xff, 0xfffe, 0xffff, 0x10000, 0xfffffffe, 0xffffffff, 0x7ffffff0];

function writeLength(out: Uint8Array, at: number, size: 2 | 4, v: number, bigEndian: boolean): void {
  const view = new DataView(out.buffer, out.byteOffset, out.length);
  if (size === 2) view.setUint16(at, v & 0xffff, !bigEndian);
  else view.setUint32(at, v >>> 0, !bigEndian);
}

/** Apply a mutation to its seed, returning new bytes (the seed is never modified). */
export function mutate(seed: Seed, m: Mutation): Uint8Array {
  const src = seed.bytes;
  const body = Math.min(132, src.length);
  const anywhere = (n: number) => body + (n % Math.max(1, src.length - body));
  const element = seed.elements.length ? seed.elements[m.pick % seed.elements.length] : undefined;
  switch (m.kind) {
    case 'flip-bits': {
      const out = new Uint8Array(src);
      for (let i = 0; i < m.bytes.length; i++) {
        const at = anywhere(m.pick + m.value * i);
        out[at] = out[at]! ^ (1 << (m.bytes[i]! & 7));
      }
      return out;
    }
    case 'overwrite': {
      const out = new Uint8Array(src);
      const at = anywhere(m.pick);
      out.set(m.bytes.subarray(0, out.length - at), at);
      return out;
    }
    case 'truncate-at-tag': {
      if (!element) return src.subarray(0, anywhere(m.pick));
      const cuts = [
        element.headerStart,
        element.lengthAt,
        element.dataOffset,
        element.dataOffset + (element.length >> 1),
      ];
      return src.subarray(0, Math.min(src.length, cuts[m.value % cuts.length]!));
    }
    case 'truncate-anywhere':
      return src.subarray(0, m.pick % (src.length + 1));
    case 'length':
    case 'huge-length': {
      if (!element) return src;
      const out = new Uint8Array(src);
      const v =
        m.kind === 'huge-length'
          ? 0x7ffffff0 + (m.value % 16)
          : m.value % 3 === 0
            ? LENGTH_VALUES[m.value % LENGTH_VALUES.length]!
            : element.length + ((m.value % 33) - 16);
      writeLength(out, element.lengthAt, element.lengthSize, v, element.bigEndian);
      return out;
    }
    case 'splice': {
      const at = anywhere(m.pick);
      const n = m.value % 4096;
      if (m.bytes[0]! & 1)
        return Uint8Array.from([...src.subarray(0, at), ...src.subarray(Math.min(src.length, at + n))]);
      const dup = src.subarray(at, Math.min(src.length, at + n));
      const out = new Uint8Array(src.length + dup.length);
      out.set(src.subarray(0, at));
      out.set(dup, at);
      out.set(src.subarray(at), at + dup.length);
      return out;
    }
    case 'deep-nesting': {
      // Undefined-length sequences nested inside each other after an element boundary (explicit VR LE form).
      const depth = 2 + (m.value % 3000);
      const sq = [
        0x09, 0x00, 0x10, 0x10, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff,
        0xff,
      ];
      const nest = new Uint8Array(sq.length * depth);
      for (let i = 0; i < depth; i++) nest.set(sq, i * sq.length);
      const at = element ? element.headerStart : anywhere(m.pick);
      const out = new Uint8Array(src.length + nest.length);
      out.set(src.subarray(0, at));
      out.set(nest, at);
      out.set(src.subarray(at), at + nest.length);
      return out;
    }
    case 'fragment': {
      if (!seed.fragments.length) return mutate(seed, { ...m, kind: 'length' });
      const f = seed.fragments[m.pick % seed.fragments.length]!;
      const out = new Uint8Array(src);
      const view = new DataView(out.buffer, out.byteOffset, out.length);
      const choice = m.value % 4;
      if (choice === 0) view.setUint32(f.itemAt + 4, LENGTH_VALUES[m.value % LENGTH_VALUES.length]!, true);
      else if (choice === 1) view.setUint32(f.itemAt + 4, f.length + ((m.value % 17) - 8), true);
      else if (choice === 2) view.setUint16(f.itemAt + 2, m.value & 0xffff, true);
      else if (f.length >= 4) view.setUint32(f.position + 4 * (m.value % Math.floor(f.length / 4)), m.value, true);
      return out;
    }
    case 'codestream': {
      // Damage inside a compressed frame (or native pixel data): exercises the codecs rather than the parser.
      const frag = seed.fragments.filter((f) => f.length > 16);
      const out = new Uint8Array(src);
      const f = frag.length ? frag[m.pick % frag.length]! : undefined;
      const start = f ? f.position : anywhere(m.pick);
      const span = f ? f.length : src.length - start;
      for (let i = 0; i < m.bytes.length; i++) {
        // Most damage lands in the first kilobytes, where headers and tables live.
        const at = start + ((m.value + i * 7919) % Math.max(1, i % 2 === 0 ? Math.min(span, 2048) : span));
        if (at < out.length) out[at] = m.bytes[i]!;
      }
      return out;
    }
  }
}

const REASONS = new Set<DicomErrorReason>([
  'not-dicom',
  'truncated',
  'bad-length',
  'too-large',
  'too-deep',
  'unsupported-transfer-syntax',
  'missing-attribute',
  'bad-attribute',
  'no-pixel-data',
  'frame-out-of-range',
  'decode-failed',
]);

/** Outcome of one case: `ok`, or the DicomParseError reason; anything else is thrown as a bug. */
export type Outcome = 'ok' | DicomErrorReason;

/**
 * Everything a caller does with untrusted bytes: parse, index metadata, decode the first and last frames and
 * display them. Returns the outcome; throws an Error describing the bug when anything but a DicomParseError
 * with a known reason escapes.
 */
export async function exercise(bytes: Uint8Array, decode = true): Promise<Outcome> {
  try {
    const ds = parseDicom(bytes);
    extractMetadata(ds);
    if (decode && (ds.has('PixelData') || ds.has('FloatPixelData'))) {
      const frames = readPixelModule(ds).numberOfFrames;
      for (const f of frames > 1 ? [0, frames - 1] : [0]) displayFrame(ds, await decodeFrame(ds, f), f);
    }
    return 'ok';
  } catch (e) {
    if (e instanceof DicomParseError && REASONS.has(e.reason)) return e.reason;
    const what = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : `thrown ${typeof e}: ${String(e)}`;
    throw new Error(`not a DicomParseError with a reason code: ${what}`, { cause: e });
  }
}
