/**
 * HTJ2K (.201 lossless, .202 lossless RPCL, .203 lossy): codestreams made by Debian's OpenJPH command line
 * tools (openjph-tools 0.9: ojph_compress / ojph_expand), wrapped into DICOM files here and decoded by the
 * engine (cornerstone's wasm build of a current OpenJPH). Lossless must give back the source samples exactly,
 * and the same samples as OpenJPEG 2.5's HTJ2K decoder (the native addon, where built); lossy must match
 * ojph_expand's decode of the same codestream. The images are unsigned: OpenJPH before 0.10 codes negative
 * signed samples its own way (OpenJPH issue #102: invertible by itself, not by other decoders; OpenJPEG 2.5
 * and current OpenJPH both read them as saturated), so its signed streams are no reference.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openJp2, setOpenJp2ForTesting } from '../../../native/dicom/codecs/openjp2.js';
import { decodeFrame, isDicomParseError, parseDicom } from '../../../native/dicom/index.js';
import { seededRandom } from '../../../native/ml/random.js';
import { corruptedCopies } from './corruption.js';
import { sampleDifference } from './sampleDiff.js';
import { dataDir, tempDir } from '../helpers.js';
import { haveOjph, HTJ2K_TS, htj2kDicom, type HtImage, ojphCompress } from './htj2kFile.js';

const data = dataDir();

/** Gradients, a disc and seeded noise over the whole range of `bits`. */
function syntheticImage(rows: number, columns: number, bits: 8 | 12 | 16, seed: number): HtImage {
  const random = seededRandom(seed);
  const hi = 2 ** bits - 1;
  const values = bits === 8 ? new Uint8Array(rows * columns) : new Uint16Array(rows * columns);
  for (let y = 0; y < rows; y++)
    for (let x = 0; x < columns; x++) {
      const disc = (x - columns / 2) ** 2 + (y - rows / 2) ** 2 < (rows / 3) ** 2 ? hi / 3 : 0;
      const v = ((x * 37 + y * 11) % Math.ceil(hi / 2)) + disc + (random() - 0.5) * (hi / 40);
      values[y * columns + x] = Math.min(hi, Math.max(0, Math.round(v)));
    }
  return { rows, columns, bits, values };
}

describe.skipIf(!haveOjph)('HTJ2K decoding against OpenJPH (openjph-tools)', () => {
  const tmp = tempDir('osler-htj2k-');
  afterAll(() => tmp.cleanup());
  let n = 0;

  const compress = (image: HtImage, lossy: boolean, order?: string) => ojphCompress(tmp.path, image, lossy, order);

  /** ojph_expand's decode of a codestream, as the image's sample type. */
  function expand(codestream: Uint8Array, like: HtImage): ArrayLike<number> {
    const input = join(tmp.path, `x-${n}.j2c`);
    const output = join(tmp.path, `x-${n++}.yuv`);
    writeFileSync(input, codestream);
    expect(spawnSync('ojph_expand', ['-i', input, '-o', output]).status).toBe(0);
    const buf = readFileSync(output);
    const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    return like.bits === 8 ? new Uint8Array(bytes) : new Uint16Array(bytes);
  }

  it('decodes lossless codestreams (.201, .202) to the source samples exactly: 8, 12 and 16 bits, odd sizes', async () => {
    const images = [syntheticImage(96, 80, 16, 1), syntheticImage(37, 53, 12, 2), syntheticImage(64, 70, 8, 3)];
    for (const image of images)
      for (const [ts, order] of [
        [HTJ2K_TS.lossless, 'LRCP'],
        [HTJ2K_TS.rpcl, 'RPCL'],
      ] as const) {
        const codestream = compress(image, false, order);
        const frame = await decodeFrame(parseDicom(htj2kDicom(ts, image, [codestream])), 0);
        const what = `${image.bits}-bit ${image.columns}x${image.rows} ${ts}`;
        expect(frame.values.constructor, what).toBe(image.values.constructor);
        expect(sampleDifference(frame.values, image.values).max, what).toBe(0);
      }
  });

  const addon = openJp2();
  it.skipIf(addon === null)(
    `OpenJPEG 2.5's HTJ2K decoder gives the same samples${addon === null ? ' (skipped: the native addon is not built)' : ''}`,
    async () => {
      for (const image of [
        syntheticImage(96, 80, 16, 11),
        syntheticImage(37, 53, 12, 12),
        syntheticImage(64, 70, 8, 13),
      ]) {
        const codestream = compress(image, false);
        const ours = (await decodeFrame(parseDicom(htj2kDicom(HTJ2K_TS.lossless, image, [codestream])), 0)).values;
        const { bytes } = addon!.decode(codestream, image.columns, image.rows, 1);
        const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
        const theirs = image.bits === 8 ? new Uint8Array(copy) : new Uint16Array(copy);
        expect(sampleDifference(ours, theirs).max, `${image.bits}-bit`).toBe(0);
      }
    },
  );

  it('decodes a lossy codestream (.203) as ojph_expand does, close to the source', async () => {
    const image = syntheticImage(96, 80, 12, 4);
    const codestream = compress(image, true);
    const frame = await decodeFrame(parseDicom(htj2kDicom(HTJ2K_TS.lossy, image, [codestream])), 0);
    // Two builds of the 9/7 inverse transform may round a sample differently; no more than that.
    expect(sampleDifference(frame.values, expand(codestream, image)).max).toBeLessThanOrEqual(1);
    const fromSource = sampleDifference(frame.values, image.values);
    expect(fromSource.max).toBeGreaterThan(0);
    expect(fromSource.mean).toBeLessThan(8);
  });

  it('never hands HTJ2K to the JPEG 2000 addon (OpenJPH decodes it)', async () => {
    const image = syntheticImage(24, 20, 12, 10);
    const decode = vi.fn(() => {
      throw new Error('openjp2: stand-in refuses');
    });
    setOpenJp2ForTesting({ decode, version: () => '0.0-test' });
    try {
      const frame = await decodeFrame(parseDicom(htj2kDicom(HTJ2K_TS.lossless, image, [compress(image, false)])), 0);
      expect(sampleDifference(frame.values, image.values).max).toBe(0);
      expect(decode).not.toHaveBeenCalled();
    } finally {
      setOpenJp2ForTesting(undefined);
    }
  });

  it('decodes each frame of a multi-frame file (empty offset table) independently', async () => {
    const a = syntheticImage(40, 48, 16, 5);
    const b = syntheticImage(40, 48, 16, 6);
    const ds = parseDicom(htj2kDicom(HTJ2K_TS.lossless, a, [compress(a, false), compress(b, false)]));
    expect(sampleDifference((await decodeFrame(ds, 1)).values, b.values).max).toBe(0);
    expect(sampleDifference((await decodeFrame(ds, 0)).values, a.values).max).toBe(0);
  });

  it.runIf(!!data)('round-trips a real head CT slice (512x512, shifted to unsigned) losslessly', async () => {
    const source = await decodeFrame(parseDicom(readFileSync(join(data!, 'dicom/ct-head-ge/14.dcm'))), 0);
    const values = Uint16Array.from(source.values, (v) => v + 32768);
    const image: HtImage = { rows: source.rows, columns: source.columns, bits: 16, values };
    const codestream = compress(image, false);
    const frame = await decodeFrame(parseDicom(htj2kDicom(HTJ2K_TS.lossless, image, [codestream])), 0);
    expect(sampleDifference(frame.values, values).max).toBe(0);
  });

  it('survives seeded corruption of a codestream: a frame of the right size or decode-failed, never a crash', async () => {
    const image = syntheticImage(48, 40, 12, 9);
    const encoded = compress(image, false);
    const seen = { ok: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(corruptedCopies(encoded), async (bytes) => {
        const result = await decodeFrame(parseDicom(htj2kDicom(HTJ2K_TS.lossless, image, [bytes])), 0).then(
          (frame) => frame,
          (e: unknown) => e,
        );
        if (result instanceof Error) expect(isDicomParseError(result, 'decode-failed'), String(result)).toBe(true);
        else expect((result as { values: ArrayLike<number> }).values.length).toBe(image.values.length);
        seen[result instanceof Error ? 'failed' : 'ok']++;
      }),
      { seed: 20261129, numRuns: 300 },
    );
    expect(seen.failed).toBeGreaterThan(0);
  });

  it('refuses truncated, mismatched and garbage codestreams with decode-failed', async () => {
    const image = syntheticImage(32, 32, 16, 7);
    const good = compress(image, false);
    const bad = [
      good.subarray(0, 40), // inside the main header
      Uint8Array.from({ length: 500 }, (_, i) => (i * 7) & 0xff),
      compress(syntheticImage(16, 32, 16, 8), false), // a 32x16 stream in a 32x32 file
    ];
    for (const [i, codestream] of bad.entries()) {
      const error = await decodeFrame(parseDicom(htj2kDicom(HTJ2K_TS.lossless, image, [codestream])), 0).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isDicomParseError(error, 'decode-failed'), `case ${i}: ${String(error)}`).toBe(true);
    }
  });
});

describe('HTJ2K test tools', () => {
  it.runIf(process.env.CI === 'true')('openjph-tools is installed in CI (the HTJ2K tests must not skip there)', () => {
    expect(haveOjph).toBe(true);
  });
});
