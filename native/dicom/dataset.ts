import type { DataSet, Element } from 'dicom-parser';
import { decodeText } from './charset.js';
import { dictionaryVr, tagKey, type TagRef } from './tags.js';

const TEXT_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'PN', 'UC']);
const STRING_VRS = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DS',
  'DT',
  'IS',
  'SH',
  'LO',
  'ST',
  'LT',
  'UT',
  'PN',
  'UC',
  'UI',
  'UR',
  'TM',
]);
const BINARY_NUMBER_VRS: Record<
  string,
  { size: number; read: (ds: DataSet, key: string, i: number) => number | undefined }
> = {
  US: { size: 2, read: (ds, k, i) => ds.uint16(k, i) },
  SS: { size: 2, read: (ds, k, i) => ds.int16(k, i) },
  UL: { size: 4, read: (ds, k, i) => ds.uint32(k, i) },
  SL: { size: 4, read: (ds, k, i) => ds.int32(k, i) },
  FL: { size: 4, read: (ds, k, i) => ds.float(k, i) },
  FD: { size: 8, read: (ds, k, i) => ds.double(k, i) },
  OW: { size: 2, read: (ds, k, i) => ds.uint16(k, i) },
  OF: { size: 4, read: (ds, k, i) => ds.float(k, i) },
  OD: { size: 8, read: (ds, k, i) => ds.double(k, i) },
  OL: { size: 4, read: (ds, k, i) => ds.uint32(k, i) },
};

/** A parsed data set (or sequence item) with typed accessors keyed by dictionary keyword or hex tag. */
export class DicomDataset {
  /** The underlying dicom-parser data set; engine-internal (frame extraction), not for callers. */
  readonly raw: DataSet;
  /** Transfer syntax UID the data set was encoded in. */
  readonly transferSyntaxUid: string;
  /** Specific Character Set terms in force for this data set. */
  readonly charsets: readonly string[];

  constructor(raw: DataSet, transferSyntaxUid: string, inheritedCharsets: readonly string[] = []) {
    this.raw = raw;
    this.transferSyntaxUid = transferSyntaxUid;
    const own = raw.elements['x00080005'];
    this.charsets = own
      ? asciiString(raw, own)
          .split('\\')
          .map((s) => s.trim())
      : inheritedCharsets;
  }

  /** The raw element for a tag, if present. */
  element(ref: TagRef): Element | undefined {
    return this.raw.elements[tagKey(ref)];
  }

  /** True when the tag is present (even with an empty value). */
  has(ref: TagRef): boolean {
    return this.element(ref) !== undefined;
  }

  /** The VR of a present element: explicit VR from the file, else the dictionary's, else undefined. */
  vr(ref: TagRef): string | undefined {
    const key = tagKey(ref);
    return this.raw.elements[key]?.vr ?? dictionaryVr(key);
  }

  /** Whole string value decoded with the Specific Character Set, trailing padding removed; undefined if absent or empty. */
  string(ref: TagRef): string | undefined {
    const key = tagKey(ref);
    const el = this.raw.elements[key];
    if (!el || el.length === 0) return undefined;
    const vr = el.vr ?? dictionaryVr(key) ?? 'UN';
    const bytes = this.raw.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
    const text = TEXT_VRS.has(vr) ? decodeText(bytes, this.charsets, vr) : latin1(bytes);
    const trimmed =
      vr === 'UT' || vr === 'ST' || vr === 'LT' ? text.replace(/[\0 ]+$/, '') : text.replace(/^[\0 ]+|[\0 ]+$/g, '');
    return trimmed === '' ? undefined : trimmed;
  }

  /** Backslash-separated values of a string element, each trimmed. Empty array if absent. */
  strings(ref: TagRef): string[] {
    const s = this.string(ref);
    return s === undefined ? [] : s.split('\\').map((v) => v.trim());
  }

  /** The `index`th numeric value (DS/IS text or binary US/SS/UL/SL/FL/FD), or undefined when absent or not a number. */
  number(ref: TagRef, index = 0): number | undefined {
    return this.numbers(ref)[index];
  }

  /** All numeric values of an element; non-numeric entries are NaN-free: they make the whole result empty. */
  numbers(ref: TagRef): number[] {
    const key = tagKey(ref);
    const el = this.raw.elements[key];
    if (!el || el.length === 0) return [];
    const vr = el.vr ?? dictionaryVr(key);
    if (vr && vr in BINARY_NUMBER_VRS) {
      const { size, read } = BINARY_NUMBER_VRS[vr]!;
      const n = Math.floor(el.length / size);
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const v = read(this.raw, key, i);
        if (v === undefined) return [];
        out.push(v);
      }
      return out;
    }
    if (vr && STRING_VRS.has(vr)) {
      const values = this.strings(ref);
      const out = values.map((v) => (v === '' ? NaN : Number(v)));
      return out.every(Number.isFinite) ? out : [];
    }
    return [];
  }

  /** Items of a sequence element as data sets (empty when absent or not a sequence). */
  sequence(ref: TagRef): DicomDataset[] {
    const el = this.element(ref);
    if (!el?.items) return [];
    return el.items
      .filter((item) => item.dataSet)
      .map((item) => new DicomDataset(item.dataSet!, this.transferSyntaxUid, this.charsets));
  }

  /** The value bytes of an element (a view, not a copy), or undefined when absent. */
  bytes(ref: TagRef): Uint8Array | undefined {
    const el = this.element(ref);
    if (!el) return undefined;
    return this.raw.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
  }

  /** True when multi-byte binary values are stored big endian. */
  get bigEndian(): boolean {
    return this.transferSyntaxUid === '1.2.840.10008.1.2.2';
  }

  /** Hex tags (GGGGEEEE, upper case) present at this level, in file order. */
  tags(): string[] {
    return Object.keys(this.raw.elements).map((k) => k.slice(1).toUpperCase());
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

function asciiString(raw: DataSet, el: Element): string {
  return latin1(raw.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)).replace(/[\0 ]+$/, '');
}
