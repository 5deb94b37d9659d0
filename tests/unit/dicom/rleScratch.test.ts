import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeRle, rleScratchBytes } from '../../../native/dicom/codecs/rle.js';
import { frameBytes } from '../../../native/dicom/frames.js';
import { parseDicom, readPixelModule } from '../../../native/dicom/index.js';
import { dataDir } from '../helpers.js';

const data = dataDir();

// Its own file: the scratch buffer is module state, and this test needs it to start empty.
describe.skipIf(!data)('RLE scratch space', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is kept while frames keep coming and given back after 20 s without one', async () => {
    vi.useFakeTimers();
    const ds = parseDicom(readFileSync(join(data!, 'dicom/mr-transfer-syntaxes/4_rle.dcm')));
    const pm = readPixelModule(ds);
    const frame = new Uint8Array(frameBytes(ds, pm, 0, true).bytes);
    expect(rleScratchBytes()).toBe(0);
    const first = (await decodeRle(frame, pm)).bytes.slice();
    expect(rleScratchBytes()).toBeGreaterThan(0);
    vi.advanceTimersByTime(15_000);
    await decodeRle(frame, pm);
    // The second frame restarted the idle clock: 15 s after it the buffer is still there.
    vi.advanceTimersByTime(15_000);
    expect(rleScratchBytes()).toBeGreaterThan(0);
    vi.advanceTimersByTime(5_001);
    expect(rleScratchBytes()).toBe(0);
    expect((await decodeRle(frame, pm)).bytes).toEqual(first);
  });
});
