import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeSeed, exercise, mutate, mutationArbitrary, type Seed } from '../../fuzz/mutations.js';
import { dataDir } from '../helpers.js';

const data = dataDir();
const SEED = 20240917;
/** Cases per CI run; `OSLER_FUZZ_RUNS` raises it (the long run is `npm run fuzz`). */
const RUNS = Number(process.env.OSLER_FUZZ_RUNS ?? 10_000);
const CASE_BUDGET_MS = 1000;

/**
 * One case: success or a DicomParseError with a reason code (else `exercise` throws), within a CPU-time budget.
 * CPU time, not wall time: a hang burns CPU, while a busy shared machine only stretches the wall clock.
 */
async function bounded(bytes: Uint8Array, decode = true): Promise<string> {
  const c0 = process.cpuUsage();
  const outcome = await exercise(bytes, decode);
  const d = process.cpuUsage(c0);
  const ms = (d.user + d.system) / 1000;
  if (ms > CASE_BUDGET_MS) throw new Error(`case took ${ms.toFixed(0)} ms of CPU`);
  return outcome;
}

describe.skipIf(!data)('fuzz: mutated real files never crash or hang', () => {
  const seeds: Seed[] = data
    ? [
        'dicom/pydicom-samples/MR_small_explicitLE.dcm',
        'dicom/pydicom-samples/MR_small_implicitLE.dcm',
        'dicom/pydicom-samples/MR_small_explicitBE.dcm',
        'dicom/pydicom-samples/MR_small_RLE.dcm',
        'dicom/pydicom-samples/MR_small_jpegls_lossless.dcm',
        'dicom/pydicom-samples/MR_small_j2k_lossless.dcm',
        'dicom/pydicom-samples/SC_rgb_jpeg_baseline_50.dcm',
        'dicom/pydicom-samples/NM_JPEG_extended_51.dcm',
        'dicom/dicomparser-samples/CT_2frame_jpeg_lossless_57.dcm',
        'dicom/pydicom-samples/RTSTRUCT.dcm',
        'dicom/pydicom-samples/image_dfl_deflate.dcm',
        'dicom/pydicom-samples/JPEGLS_near_lossless_16bit.dcm',
      ].map((p) => describeSeed(p, new Uint8Array(readFileSync(join(data, p)))))
    : [];

  beforeAll(async () => {
    // Instantiate every codec once (a 4 MB wasm compile is start-up, not a case).
    for (const s of seeds) await exercise(s.bytes);
  }, 120_000);

  it('truncation at every tag boundary (header, length, value start, mid value) of every seed', async () => {
    let cases = 0;
    const outcomes = new Set<string>();
    for (const s of seeds) {
      for (const el of s.elements) {
        for (const cut of [el.headerStart, el.lengthAt, el.dataOffset, el.dataOffset + (el.length >> 1)]) {
          outcomes.add(await bounded(s.bytes.subarray(0, cut)));
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(1000);
    expect(outcomes).toContain('truncated');
  }, 300_000);

  it('truncation at ~300 evenly spaced offsets per seed file', async () => {
    let cases = 0;
    for (const s of seeds) {
      const b = s.bytes;
      for (let cut = 0; cut < b.length; cut += Math.max(1, Math.floor(b.length / 300))) {
        await bounded(b.subarray(0, cut), cut % 4 === 0);
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(1000);
  }, 120_000);

  it(`bit flips, length and fragment corruption, huge lengths, splices, deep nesting, codestream damage (${RUNS} cases, seed ${SEED})`, async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutationArbitrary(seeds.length), async (m) => {
        const o = await bounded(mutate(seeds[m.seed]!, m));
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // The mutations reach both the parser's refusals and the decoders.
    expect(outcomes.get('ok') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('decode-failed') ?? 0).toBeGreaterThan(0);
    expect(outcomes.get('too-deep') ?? 0).toBeGreaterThan(0);
  }, 300_000);

  it('random bytes with and without a DICM prefix', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, prefix) => {
        const b = prefix ? Uint8Array.from([...new Uint8Array(128), 0x44, 0x49, 0x43, 0x4d, ...bytes]) : bytes;
        await bounded(b);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  }, 120_000);
});
