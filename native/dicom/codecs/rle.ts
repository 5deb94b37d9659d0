import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import type { CodecOutput } from './types.js';

/**
 * DICOM RLE Lossless (PS3.5 Annex G). No npm codec covers this DICOM-specific PackBits layout, and it is a
 * few lines: one segment per byte plane, most significant byte first, each sample in its own segments.
 */
export async function decodeRle(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  const bytesPerSample = Math.ceil(pm.bitsAllocated / 8);
  if (bytesPerSample !== 1 && bytesPerSample !== 2 && bytesPerSample !== 4)
    throw new DicomParseError('decode-failed', 'RLE of 1-bit data is not supported');
  const pixels = pm.rows * pm.columns;
  const segments = bytesPerSample * pm.samplesPerPixel;
  if (encoded.length < 64) throw new DicomParseError('truncated', 'RLE frame is shorter than its 64-byte header');
  const view = new DataView(encoded.buffer, encoded.byteOffset, encoded.length);
  const count = view.getUint32(0, true);
  if (count !== segments)
    throw new DicomParseError('decode-failed', `RLE frame has ${count} segments, expected ${segments}`);
  const offsets: number[] = [];
  for (let i = 0; i < count; i++) offsets.push(view.getUint32(4 + i * 4, true));
  const out = new Uint8Array(pixels * segments);
  for (let seg = 0; seg < count; seg++) {
    const start = offsets[seg]!;
    const end = seg + 1 < count ? offsets[seg + 1]! : encoded.length;
    if (start < 64 || end > encoded.length || end < start)
      throw new DicomParseError('decode-failed', `RLE segment ${seg} offsets are invalid`);
    const sample = Math.floor(seg / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (seg % bytesPerSample);
    const stride = segments;
    let dst = sample * bytesPerSample + byteInSample;
    let written = 0;
    let p = start;
    while (p < end && written < pixels) {
      const n = encoded[p++]!;
      if (n < 128) {
        const run = Math.min(n + 1, pixels - written, end - p);
        for (let k = 0; k < run; k++) {
          out[dst] = encoded[p + k]!;
          dst += stride;
        }
        p += n + 1;
        written += run;
      } else if (n > 128) {
        if (p >= end) break;
        const value = encoded[p++]!;
        const run = Math.min(257 - n, pixels - written);
        for (let k = 0; k < run; k++) {
          out[dst] = value;
          dst += stride;
        }
        written += run;
      }
    }
    if (written < pixels)
      throw new DicomParseError('decode-failed', `RLE segment ${seg} decodes ${written} of ${pixels} bytes`);
  }
  return { bytes: out, bytesPerSample, photometric: pm.photometricInterpretation };
}
