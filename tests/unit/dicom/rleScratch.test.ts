import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeRle, rleScratchBytes } from '../../../native/dicom/codecs/rle.js';
import { rleFrame } from './rleFrame.js';

// Its own file: the scratch buffer is module state, and this test needs it to start empty.
describe('RLE scratch space', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is kept while frames keep coming and given back after 20 s without one', async () => {
    vi.useFakeTimers();
    const rows = 32;
    const columns = 48;
    const samples = Uint16Array.from({ length: rows * columns }, (_, i) => (i * 40503 + 7) & 0xffff);
    const pm = {
      rows,
      columns,
      bitsAllocated: 16,
      bitsStored: 16,
      highBit: 15,
      pixelRepresentation: 0,
      samplesPerPixel: 1,
      photometricInterpretation: 'MONOCHROME2',
    } as unknown as Parameters<typeof decodeRle>[1];
    const frame = rleFrame([Uint8Array.from(samples, (v) => v >> 8), Uint8Array.from(samples, (v) => v & 0xff)]);
    expect(rleScratchBytes()).toBe(0);
    const first = (await decodeRle(frame, pm)).bytes.slice();
    expect(new Uint16Array(first.buffer)).toEqual(samples);
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
