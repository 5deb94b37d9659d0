import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import { checkDimensions, checkLength } from './check.js';
import { decodeWithLibjpeg } from './libjpeg.js';
import { readJpegFrameHeader } from './markers.js';
import type { CodecOutput } from './types.js';

/**
 * JPEG lossless process 14 (.57 and .70, any selection value, 2-16 bit) via the libjpeg-turbo 3 build in
 * dcmjs-codecs (2-4x faster than the pure-JS jpeg-lossless-decoder-js it replaced, same samples).
 */
export async function decodeJpegLossless(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new DicomParseError('decode-failed', 'JPEG lossless frame has no SOI/SOF header');
  if (header.marker !== 0xc3)
    throw new DicomParseError(
      'decode-failed',
      `JPEG lossless frame has SOF marker FF${header.marker.toString(16).toUpperCase()}, expected FFC3`,
    );
  checkDimensions(pm, header.columns, header.rows, header.components, 'JPEG lossless');
  const bytesPerSample = pm.bitsAllocated <= 8 ? 1 : 2;
  if (header.precision > bytesPerSample * 8 || header.precision < 2)
    throw new DicomParseError(
      'decode-failed',
      `JPEG lossless precision ${header.precision} is invalid for Bits Allocated ${pm.bitsAllocated}`,
    );
  const out = await decodeWithLibjpeg(encoded, pm, 'JPEG lossless');
  const bytes =
    out.bytesPerSample === bytesPerSample ? out.bytes : widen(out.bytes, out.bytesPerSample, bytesPerSample);
  checkLength(bytes.length, pm.rows * pm.columns * pm.samplesPerPixel * bytesPerSample, 'JPEG lossless');
  return { bytes, bytesPerSample, photometric: pm.photometricInterpretation, precision: header.precision };
}

/** 8-bit samples in a 16-bit container (or the reverse, when the stream fits in 8 bits) as the header's size. */
function widen(bytes: Uint8Array, from: 1 | 2, to: 1 | 2): Uint8Array {
  const n = bytes.length / from;
  const out = new Uint8Array(n * to);
  if (from === 1) for (let i = 0; i < n; i++) out[i * 2] = bytes[i]!;
  else for (let i = 0; i < n; i++) out[i] = bytes[i * 2]!;
  return out;
}
