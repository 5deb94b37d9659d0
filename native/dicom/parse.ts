import { createRequire } from 'node:module';
import { inflateRawSync } from 'node:zlib';
import type * as DicomParserNs from 'dicom-parser';
import { DicomDataset } from './dataset.js';
import { DicomParseError, thrownText } from './errors.js';
import { dictionaryVr } from './tags.js';
import { transferSyntax, transferSyntaxName } from './transferSyntax.js';

const require = createRequire(import.meta.url);
const dicomParser = require('dicom-parser') as typeof DicomParserNs;

/** Options for {@link parseDicom}. */
export interface ParseOptions {
  /** Transfer syntax of a file without a File Meta header; when absent the engine sniffs LE/BE, explicit/implicit. */
  readonly transferSyntaxUid?: string;
  /** Stop before this hex tag (e.g. '7FE00010' to skip pixel data when only metadata is wanted). */
  readonly untilTag?: string;
  /** Refuse inputs (and inflated deflate streams) larger than this many bytes. Default 2 GiB - 1. */
  readonly maxBytes?: number;
  /** Refuse sequences nested deeper than this. Default 32. */
  readonly maxDepth?: number;
}

const DEFAULT_MAX_BYTES = 0x7fffffff;
const DEFAULT_MAX_DEPTH = 32;
const VRS = new Set(
  'AE AS AT CS DA DS DT FL FD IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN UR US UT UV'.split(' '),
);
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/**
 * Parse a DICOM Part 10 file (or a bare data set without preamble/meta header) into a {@link DicomDataset}.
 * Pass a Node Buffer or any Uint8Array; the bytes are referenced, not copied (except deflated files).
 * @throws DicomParseError with reason `not-dicom`, `truncated`, `bad-length`, `too-large`, `too-deep`
 *   or `unsupported-transfer-syntax`; never a partial data set.
 */
export function parseDicom(input: Uint8Array, options: ParseOptions = {}): DicomDataset {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(input instanceof Uint8Array)) throw new DicomParseError('not-dicom', 'input is not a byte array');
  if (input.length > maxBytes)
    throw new DicomParseError('too-large', `input of ${input.length} bytes exceeds the ${maxBytes}-byte limit`);
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.length);

  let array: Buffer = bytes;
  let tsOption: string | undefined;
  if (!hasPreamble(bytes)) {
    if (startsWithMetaGroup(bytes)) {
      // File Meta header written without the 128-byte preamble: give dicom-parser the preamble it insists on.
      array = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), bytes]);
    } else {
      tsOption = options.transferSyntaxUid ?? sniffTransferSyntax(bytes);
      if (!tsOption)
        throw new DicomParseError('not-dicom', 'no DICM prefix and the bytes do not start like a DICOM data set');
    }
  }

  let raw: DicomParserNs.DataSet;
  let tsUid: string;
  try {
    if (tsOption === undefined) {
      const meta = dicomParser.readPart10Header(array);
      const declared = meta.string('x00020010')?.replace(/\0/g, '').trim();
      const sniffed = sniffTransferSyntax(array.subarray(metaEnd(meta)));
      tsUid = declared || options.transferSyntaxUid || sniffed || '';
      if (!tsUid)
        throw new DicomParseError(
          'not-dicom',
          'the File Meta header has no Transfer Syntax UID and the data set encoding cannot be recognised',
        );
      checkSyntaxParsable(tsUid);
      // Writers sometimes encode the data set implicit while declaring explicit (or the reverse); follow the bytes,
      // as pydicom does, but keep the declared syntax for the pixel data.
      const declaredExplicit = tsUid !== IMPLICIT_LE;
      const mismatch =
        tsUid !== EXPLICIT_BE &&
        !transferSyntax(tsUid)?.deflated &&
        sniffed !== undefined &&
        sniffed !== EXPLICIT_BE &&
        (sniffed !== IMPLICIT_LE) !== declaredExplicit;
      raw = parseWith(
        array,
        mismatch || !declared ? (sniffed ?? tsUid) : tsUid,
        options,
        maxBytes,
        mismatch || !declared,
      );
    } else {
      tsUid = tsOption;
      checkSyntaxParsable(tsUid);
      raw = parseWith(array, tsUid, options, maxBytes, false);
    }
  } catch (e) {
    throw toParseError(e, array);
  }
  if (options.untilTag) {
    // dicom-parser keeps the header of the tag it stopped at; drop it so callers never see a value never read.
    const until = 'x' + options.untilTag.toLowerCase();
    for (const key of Object.keys(raw.elements)) if (key >= until) delete raw.elements[key];
  }
  validate(raw, options.maxDepth ?? DEFAULT_MAX_DEPTH, options.untilTag);
  return new DicomDataset(raw, tsUid);
}

function parseWith(
  array: Buffer,
  tsUid: string,
  options: ParseOptions,
  maxBytes: number,
  bodyOnly: boolean,
): DicomParserNs.DataSet {
  const parseOptions: DicomParserNs.ParseDicomOptions & { TransferSyntaxUID?: string } = {
    vrCallback: (tag: string) => dictionaryVr(tag) as unknown as void,
    inflater: (arr: Uint8Array, position: number) => inflate(arr, position, maxBytes) as unknown as void,
  };
  if (options.untilTag) parseOptions.untilTag = 'x' + options.untilTag.toLowerCase();
  if (!hasPreamble(array)) parseOptions.TransferSyntaxUID = tsUid;
  if (bodyOnly) {
    // The data set after the meta header is parsed on its own with the encoding it actually has.
    const meta = dicomParser.readPart10Header(array);
    const offset = metaEnd(meta);
    return dicomParser.parseDicom(array.subarray(offset), { ...parseOptions, TransferSyntaxUID: tsUid });
  }
  return dicomParser.parseDicom(array, parseOptions);
}

function inflate(arr: Uint8Array, position: number, maxBytes: number): Buffer {
  const head = Buffer.from(arr.buffer, arr.byteOffset, position);
  const deflated = Buffer.from(arr.buffer, arr.byteOffset + position, arr.length - position);
  let inflated: Buffer;
  try {
    inflated = inflateRawSync(deflated, { maxOutputLength: Math.max(1, maxBytes - position) });
  } catch (e) {
    const msg = thrownText(e);
    if (/maxOutputLength|buffer/i.test(msg) && /exceed|larger|length/i.test(msg)) {
      throw new DicomParseError('too-large', `the deflated data set inflates past the ${maxBytes}-byte limit`);
    }
    throw new DicomParseError(
      /unexpected end/i.test(msg) ? 'truncated' : 'decode-failed',
      `the deflated data set cannot be inflated: ${msg}`,
    );
  }
  return Buffer.concat([head, inflated]);
}

function hasPreamble(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d
  );
}

function startsWithMetaGroup(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x02 && bytes[1] === 0x00 && isVr(bytes[4]!, bytes[5]!);
}

function isVr(a: number, b: number): boolean {
  return VRS.has(String.fromCharCode(a, b));
}

function metaEnd(meta: DicomParserNs.DataSet): number {
  return (meta as DicomParserNs.DataSet & { position?: number }).position ?? 132;
}

/**
 * Guess the encoding of a bare data set from its first element: explicit VR when bytes 4-5 spell a VR,
 * big endian when the group reads sensibly only that way. Undefined when it does not look like DICOM.
 */
export function sniffTransferSyntax(bytes: Uint8Array): string | undefined {
  if (bytes.length < 8) return undefined;
  const groupLe = bytes[0]! | (bytes[1]! << 8);
  const groupBe = (bytes[0]! << 8) | bytes[1]!;
  const explicit = isVr(bytes[4]!, bytes[5]!);
  const plausible = (g: number) => g >= 0x0002 && g <= 0x0040 && g % 2 === 0;
  if (plausible(groupLe)) return explicit ? EXPLICIT_LE : IMPLICIT_LE;
  if (plausible(groupBe) && explicit) return EXPLICIT_BE;
  return undefined;
}

function checkSyntaxParsable(uid: string): void {
  if (!/^[0-9.]+$/.test(uid))
    throw new DicomParseError('bad-attribute', `Transfer Syntax UID "${uid.slice(0, 64)}" is malformed`);
  // Data sets of unknown (but UID-shaped) syntaxes are still explicit VR LE by rule (PS3.5 A.4); pixel
  // decoding refuses them later with unsupported-transfer-syntax, so metadata stays readable.
  if (!transferSyntax(uid) && !uid.startsWith('1.2.840.10008.1.2.')) {
    throw new DicomParseError(
      'unsupported-transfer-syntax',
      `transfer syntax ${transferSyntaxName(uid)} is not supported`,
    );
  }
}

function toParseError(e: unknown, array: Uint8Array): DicomParseError {
  if (e instanceof DicomParseError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new DicomParseError('too-deep', 'sequences are nested too deeply to parse', { cause: e });
  }
  const msg = thrownText(e);
  if (/DICM prefix not found/.test(msg))
    return new DicomParseError('not-dicom', 'not a DICOM file: no DICM prefix at offset 128', { cause: e });
  if (/missing required meta header attribute 0002,0010/.test(msg))
    return new DicomParseError('missing-attribute', 'the File Meta header has no Transfer Syntax UID', { cause: e });
  const overrun = /overrun|past end|beyond|outside|overread|invalid value for parameter|attempt to read/i.test(msg);
  if (overrun) {
    const partial =
      e && typeof e === 'object' && 'dataSet' in e ? (e as { dataSet?: DicomParserNs.DataSet }).dataSet : undefined;
    const bad = partial ? elementPastEnd(partial, array.length) : undefined;
    if (bad && bad.length > array.length) {
      return new DicomParseError(
        'bad-length',
        `element (${fmtTag(bad.tag)}) declares ${bad.length} bytes but the input holds only ${array.length}`,
        { cause: e },
      );
    }
    return new DicomParseError(
      'truncated',
      `the data ends inside ${bad ? `element (${fmtTag(bad.tag)})` : 'an element'}: ${msg}`,
      { cause: e },
    );
  }
  return new DicomParseError('bad-length', `malformed DICOM: ${msg}`, { cause: e });
}

function elementPastEnd(ds: DicomParserNs.DataSet, size: number): DicomParserNs.Element | undefined {
  for (const el of Object.values(ds.elements)) {
    if (el.dataOffset + el.length > size) return el;
  }
  return undefined;
}

function fmtTag(tag: string): string {
  const t = tag.slice(1).toUpperCase();
  return `${t.slice(0, 4)},${t.slice(4)}`;
}

/** Refuse data sets whose elements point outside the bytes or nest beyond `maxDepth`. */
function validate(ds: DicomParserNs.DataSet, maxDepth: number, untilTag: string | undefined, depth = 0): void {
  if (depth > maxDepth) throw new DicomParseError('too-deep', `sequences nest deeper than ${maxDepth} levels`);
  const size = ds.byteArray.length;
  for (const el of Object.values(ds.elements)) {
    if (el.length < 0 || el.dataOffset < 0 || el.dataOffset + el.length > size) {
      if (untilTag) continue;
      throw new DicomParseError('truncated', `element (${fmtTag(el.tag)}) runs past the end of the data`);
    }
    for (const item of el.items ?? []) {
      if (item.dataSet) validate(item.dataSet, maxDepth, untilTag, depth + 1);
    }
  }
}
