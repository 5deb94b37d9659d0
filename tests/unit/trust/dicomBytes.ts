// Builds small DICOM Part 10 files byte by byte, including hostile ones (lying lengths, deflate bombs).
import { constants, deflateRawSync } from 'node:zlib';

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** One explicit-VR little-endian element; `length` overrides the declared length (to lie about it). */
export function element(tag: number, vr: string, value: Uint8Array | string, length?: number): Buffer {
  let bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  if (typeof value === 'string' && bytes.length % 2 === 1)
    bytes = Buffer.concat([bytes, Buffer.from(vr === 'UI' ? '\0' : ' ')]);
  const declared = length ?? bytes.length;
  const long = LONG_VRS.has(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(declared >>> 0, 8);
  else head.writeUInt16LE(declared, 6);
  return Buffer.concat([head, bytes]);
}

function us(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';

/** Preamble, DICM and the File Meta group for `transferSyntax`. */
export function fileMeta(transferSyntax: string, sop: string): Buffer {
  const body = Buffer.concat([
    element(0x00020001, 'OB', Buffer.from([0, 1])),
    element(0x00020002, 'UI', CT_IMAGE),
    element(0x00020003, 'UI', sop),
    element(0x00020010, 'UI', transferSyntax),
    element(0x00020012, 'UI', '1.2.3.4.5.6'),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    element(0x00020000, 'UL', groupLength),
    body,
  ]);
}

/** Pixel description of {@link imageHeader}: 16-bit signed single frames unless told. */
export interface PixelFormat {
  readonly allocated?: 8 | 16;
  readonly stored?: number;
  readonly signed?: boolean;
  /** Written as Number of Frames when given. */
  readonly frames?: number;
}

/** The identifying elements of a small CT image (everything before Pixel Data). */
export function imageHeader(sop: string, rows = 4, columns = 4, pixel: PixelFormat = {}): Buffer {
  const { allocated = 16, stored = allocated, signed = true, frames } = pixel;
  return Buffer.concat([
    element(0x00080016, 'UI', CT_IMAGE),
    element(0x00080018, 'UI', sop),
    element(0x00080060, 'CS', 'CT'),
    element(0x00100020, 'LO', 'TRUST-1'),
    element(0x0020000d, 'UI', '1.2.826.0.1.3680043.2.1125.1'),
    element(0x0020000e, 'UI', '1.2.826.0.1.3680043.2.1125.2'),
    element(0x00280002, 'US', us(1)),
    element(0x00280004, 'CS', 'MONOCHROME2'),
    ...(frames === undefined ? [] : [element(0x00280008, 'IS', String(frames))]),
    element(0x00280010, 'US', us(rows)),
    element(0x00280011, 'US', us(columns)),
    element(0x00280100, 'US', us(allocated)),
    element(0x00280101, 'US', us(stored)),
    element(0x00280102, 'US', us(stored - 1)),
    element(0x00280103, 'US', us(signed ? 1 : 0)),
  ]);
}

/** Encapsulated Pixel Data: an empty Basic Offset Table, one fragment per frame (padded to even), the delimiter. */
export function encapsulatedPixelData(frames: readonly Uint8Array[]): Buffer {
  const item = (bytes: Uint8Array) => {
    const padded = bytes.length % 2 ? Buffer.concat([bytes, Buffer.alloc(1)]) : Buffer.from(bytes);
    const head = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]);
    head.writeUInt32LE(padded.length, 4);
    return Buffer.concat([head, padded]);
  };
  return Buffer.concat([
    Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    item(new Uint8Array(0)),
    ...frames.map(item),
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
}

/** A file whose private element declares `declaredBytes` but carries only a few. */
export function lyingLengthDicom(declaredBytes: number): Buffer {
  const sop = '1.2.826.0.1.3680043.2.1125.9';
  return Buffer.concat([
    fileMeta(EXPLICIT_LE, sop),
    imageHeader(sop),
    element(0x00091010, 'UN', Buffer.alloc(16), declaredBytes),
  ]);
}

/**
 * A Deflated Explicit VR Little Endian file whose data set inflates to about `inflatedBytes`
 * (Pixel Data of zeros) from a few hundred KiB: independent full-flushed deflate blocks of 1 MiB
 * of zeros, repeated, then a final empty block.
 */
export function deflateBombDicom(inflatedBytes: number): Buffer {
  const sop = '1.2.826.0.1.3680043.2.1125.7';
  const chunk = 1024 * 1024;
  const chunks = Math.max(1, Math.floor(inflatedBytes / chunk));
  const side = 2 ** Math.floor(Math.log2(Math.sqrt((chunks * chunk) / 2)));
  const header = Buffer.concat([
    imageHeader(sop, side, side),
    element(0x7fe00010, 'OW', Buffer.alloc(0), chunks * chunk),
  ]);
  const flush = { finishFlush: constants.Z_FULL_FLUSH };
  const zeros = deflateRawSync(Buffer.alloc(chunk), flush);
  const parts = [fileMeta(DEFLATED_LE, sop), deflateRawSync(header, flush)];
  for (let i = 0; i < chunks; i++) parts.push(zeros);
  parts.push(deflateRawSync(Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** A well-formed 4x4 CT image (used as the control case). */
export function smallDicom(sop = '1.2.826.0.1.3680043.2.1125.5'): Buffer {
  return Buffer.concat([fileMeta(EXPLICIT_LE, sop), imageHeader(sop), element(0x7fe00010, 'OW', Buffer.alloc(32))]);
}
