import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';

/** Refuse a codestream whose size disagrees with the DICOM header, before anything is allocated for it. */
export function checkDimensions(
  pm: PixelModule,
  columns: number,
  rows: number,
  components: number,
  codec: string,
): void {
  if (columns !== pm.columns || rows !== pm.rows || components !== pm.samplesPerPixel) {
    throw new DicomParseError(
      'decode-failed',
      `${codec} stream is ${columns}x${rows}x${components}, the header says ${pm.columns}x${pm.rows}x${pm.samplesPerPixel}`,
    );
  }
}

/** Refuse a decoder output whose byte length is not the expected frame size. */
export function checkLength(actual: number, expected: number, codec: string): void {
  if (actual !== expected)
    throw new DicomParseError('decode-failed', `${codec} produced ${actual} bytes, expected ${expected}`);
}

/** Convert planar samples (RRR..GGG..BBB..) to interleaved (RGBRGB..) for 1-, 2- or 4-byte samples. */
export function interleave(planar: Uint8Array, pixels: number, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(planar.length);
  const plane = pixels * bytesPerSample;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < pixels; i++) {
      const src = s * plane + i * bytesPerSample;
      const dst = (i * 3 + s) * bytesPerSample;
      for (let b = 0; b < bytesPerSample; b++) out[dst + b] = planar[src + b]!;
    }
  }
  return out;
}
