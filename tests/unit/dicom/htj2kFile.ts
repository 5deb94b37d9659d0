// HTJ2K test files: OpenJPH's ojph_compress (Debian openjph-tools) codestreams in DICOM files built here.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { element, fileMeta } from '../trust/dicomBytes.js';

/** The HTJ2K transfer syntaxes. */
export const HTJ2K_TS = {
  lossless: '1.2.840.10008.1.2.4.201',
  rpcl: '1.2.840.10008.1.2.4.202',
  lossy: '1.2.840.10008.1.2.4.203',
} as const;

/** Unsigned monochrome samples to encode. */
export interface HtImage {
  readonly rows: number;
  readonly columns: number;
  /** Bits Stored (8, 12 or 16); 8-bit images are one byte per sample, the others two. */
  readonly bits: 8 | 12 | 16;
  readonly values: Uint8Array | Uint16Array;
}

/** Whether ojph_compress / ojph_expand are installed. */
export const haveOjph = spawnSync('ojph_expand', ['-h']).error === undefined;

const us = (n: number) => Uint8Array.from([n & 0xff, n >> 8]);

/** An explicit VR little endian Part 10 file holding `frames` (codestreams) encapsulated: empty offset table. */
export function htj2kDicom(ts: string, image: HtImage, frames: Uint8Array[]): Buffer {
  const sop = '1.2.826.0.1.3680043.2.1125.4201';
  const item = (bytes: Uint8Array) => {
    const padded = bytes.length % 2 ? Buffer.concat([bytes, Buffer.alloc(1)]) : Buffer.from(bytes);
    const head = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]);
    head.writeUInt32LE(padded.length, 4);
    return Buffer.concat([head, padded]);
  };
  const allocated = image.bits === 8 ? 8 : 16;
  return Buffer.concat([
    fileMeta(ts, sop),
    element(0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'),
    element(0x00080018, 'UI', sop),
    element(0x00080060, 'CS', 'CT'),
    element(0x00280002, 'US', us(1)),
    element(0x00280004, 'CS', 'MONOCHROME2'),
    element(0x00280008, 'IS', String(frames.length)),
    element(0x00280010, 'US', us(image.rows)),
    element(0x00280011, 'US', us(image.columns)),
    element(0x00280100, 'US', us(allocated)),
    element(0x00280101, 'US', us(image.bits)),
    element(0x00280102, 'US', us(image.bits - 1)),
    element(0x00280103, 'US', us(0)),
    Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]),
    item(new Uint8Array(0)),
    ...frames.map(item),
    Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
  ]);
}

let made = 0;

/**
 * ojph_compress of the image's samples (files in `dir`); `lossy` uses the irreversible 9/7 path.
 * @throws Error with ojph_compress's message when it fails.
 */
export function ojphCompress(dir: string, image: HtImage, lossy: boolean, order = 'RPCL'): Uint8Array {
  const raw = join(dir, `ojph-in-${made}.yuv`);
  const out = join(dir, `ojph-out-${made++}.j2c`);
  writeFileSync(raw, new Uint8Array(image.values.buffer, image.values.byteOffset, image.values.byteLength));
  const r = spawnSync(
    'ojph_compress',
    [
      ...['-i', raw, '-o', out, '-num_comps', '1', '-downsamp', '{1,1}', '-prog_order', order],
      ...['-dims', `{${image.columns},${image.rows}}`, '-signed', 'false', '-bit_depth', String(image.bits)],
      ...(lossy ? ['-reversible', 'false', '-qstep', '0.001'] : ['-reversible', 'true']),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ojph_compress failed: ${r.stderr || r.error?.message}`);
  return readFileSync(out);
}
