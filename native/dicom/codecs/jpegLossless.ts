import { createRequire } from 'node:module';
import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import { checkDimensions, checkLength } from './check.js';
import { readJpegFrameHeader } from './markers.js';
import type { CodecOutput } from './types.js';

const require = createRequire(import.meta.url);

interface LosslessDecoder {
  decode(buffer: ArrayBufferLike, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
}
const lossless = require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder };

/** JPEG lossless process 14 (.57 and .70, any selection value) via jpeg-lossless-decoder-js. */
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
  if (header.precision > bytesPerSample * 8)
    throw new DicomParseError(
      'decode-failed',
      `JPEG lossless precision ${header.precision} exceeds Bits Allocated ${pm.bitsAllocated}`,
    );
  let out: Uint8Array | Uint16Array;
  try {
    const copy = new Uint8Array(encoded);
    out = new lossless.Decoder().decode(copy.buffer, 0, copy.length, bytesPerSample);
  } catch (e) {
    throw new DicomParseError(
      'decode-failed',
      `JPEG lossless decode failed: ${e instanceof Error ? e.message : String(e)}`,
      { cause: e },
    );
  }
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  checkLength(bytes.length, pm.rows * pm.columns * pm.samplesPerPixel * bytesPerSample, 'JPEG lossless');
  return { bytes, bytesPerSample, photometric: pm.photometricInterpretation };
}
