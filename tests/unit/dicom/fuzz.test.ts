import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DicomParseError, decodeFrame, parseDicom, type DicomDataset } from '../../../native/dicom/index.js';
import { dataDir } from '../helpers.js';

const data = dataDir();
const SEED = 20240917;
/** Cases per CI run; `OSLER_FUZZ_RUNS` raises it for the long fuzz. */
const RUNS = Number(process.env.OSLER_FUZZ_RUNS ?? 10_000);
const CASE_BUDGET_MS = 1000;

/** Parse and decode the first frame; anything but success or a DicomParseError is a bug. */
async function exercise(bytes: Uint8Array, decode: boolean): Promise<void> {
  const t0 = performance.now();
  let ds: DicomDataset | undefined;
  try {
    ds = parseDicom(bytes);
    if (decode && (ds.has('PixelData') || ds.has('FloatPixelData'))) await decodeFrame(ds, 0);
  } catch (e) {
    if (!(e instanceof DicomParseError)) throw new Error(`not a DicomParseError: ${String(e)}`, { cause: e });
  }
  const ms = performance.now() - t0;
  if (ms > CASE_BUDGET_MS) throw new Error(`case took ${ms.toFixed(0)} ms`);
}

describe.skipIf(!data)('fuzz: mutated real files never crash or hang', () => {
  const seeds = data
    ? [
        'dicom/pydicom-samples/MR_small_explicitLE.dcm',
        'dicom/pydicom-samples/MR_small_implicitLE.dcm',
        'dicom/pydicom-samples/MR_small_explicitBE.dcm',
        'dicom/pydicom-samples/MR_small_RLE.dcm',
        'dicom/pydicom-samples/MR_small_jpegls_lossless.dcm',
        'dicom/pydicom-samples/MR_small_j2k_lossless.dcm',
        'dicom/pydicom-samples/SC_rgb_jpeg_baseline_50.dcm',
        'dicom/pydicom-samples/RTSTRUCT.dcm',
        'dicom/pydicom-samples/image_dfl_deflate.dcm',
        'dicom/pydicom-samples/JPEGLS_near_lossless_16bit.dcm',
      ].map((p) => new Uint8Array(readFileSync(join(data, p))))
    : [];

  it('truncation at ~300 evenly spaced offsets per seed file', async () => {
    let cases = 0;
    for (const s of seeds) {
      for (let cut = 0; cut < s.length; cut += Math.max(1, Math.floor(s.length / 300))) {
        await exercise(s.subarray(0, cut), cut % 4 === 0);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(1000);
  }, 120_000);

  it(`random byte flips, length corruption and splices (${RUNS} cases, seed ${SEED})`, async () => {
    const mutation = fc.record({
      file: fc.nat({ max: seeds.length - 1 }),
      kind: fc.constantFrom('flip', 'length', 'huge', 'splice', 'deep'),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    });
    await fc.assert(
      fc.asyncProperty(mutation, async ({ file, kind, at, bytes }) => {
        const src = seeds[file]!;
        let out = new Uint8Array(src);
        const pos = 132 + (at % Math.max(1, src.length - 140));
        if (kind === 'flip') out.set(bytes.subarray(0, Math.min(bytes.length, out.length - pos)), pos);
        else if (kind === 'length' || kind === 'huge') {
          const v = kind === 'huge' ? 0x7ffffff0 + (bytes[0]! & 0xf) : (bytes[0]! << 8) | bytes[1 % bytes.length]!;
          new DataView(out.buffer).setUint32(Math.min(pos, out.length - 4), v, true);
        } else if (kind === 'splice') {
          out = Uint8Array.from([
            ...out.subarray(0, pos),
            ...out.subarray(Math.min(out.length, pos + (bytes[0]! % 64))),
          ]);
        } else {
          // Deeply nested undefined-length sequences injected after the meta header.
          const depth = 50 + (bytes[0]! % 200);
          const sq = [
            0x09, 0x00, 0x10, 0x10, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff,
            0xff,
          ];
          const nest = new Uint8Array(sq.length * depth);
          for (let i = 0; i < depth; i++) nest.set(sq, i * sq.length);
          out = Uint8Array.from([...out.subarray(0, pos), ...nest, ...out.subarray(pos)]);
        }
        await exercise(out, kind !== 'deep' && at % 8 === 0);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 300_000);

  it('random bytes with and without a DICM prefix', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, prefix) => {
        const b = prefix ? Uint8Array.from([...new Uint8Array(128), 0x44, 0x49, 0x43, 0x4d, ...bytes]) : bytes;
        await exercise(b, true);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  }, 120_000);
});
