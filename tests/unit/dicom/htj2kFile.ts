// HTJ2K test files: OpenJPH's ojph_compress (Debian openjph-tools) codestreams in DICOM files built here.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encapsulatedPixelData, fileMeta, imageHeader } from '../trust/dicomBytes.js';

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

/** An explicit VR little endian Part 10 file holding `frames` (codestreams) encapsulated: empty offset table. */
export function htj2kDicom(ts: string, image: HtImage, frames: Uint8Array[]): Buffer {
  const sop = '1.2.826.0.1.3680043.2.1125.4201';
  const pixel = {
    allocated: image.bits === 8 ? 8 : 16,
    stored: image.bits,
    signed: false,
    frames: frames.length,
  } as const;
  return Buffer.concat([
    fileMeta(ts, sop),
    imageHeader(sop, image.rows, image.columns, pixel),
    encapsulatedPixelData(frames),
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
