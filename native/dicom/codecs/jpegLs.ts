import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import { checkDimensions, checkLength, interleave } from './check.js';
import { readJpegFrameHeader } from './markers.js';
import type { CodecOutput } from './types.js';
import { runWasm, wasmDecoder } from './wasm.js';

/** JPEG-LS lossless and near-lossless (.80/.81) via CharLS. */
export async function decodeJpegLs(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  const header = readJpegFrameHeader(encoded);
  if (!header || header.marker !== 0xf7)
    throw new DicomParseError('decode-failed', 'JPEG-LS frame has no SOI/SOF55 header');
  checkDimensions(pm, header.columns, header.rows, header.components, 'JPEG-LS');
  const bytesPerSample = header.precision <= 8 ? 1 : 2;
  if (bytesPerSample * 8 > Math.max(8, pm.bitsAllocated))
    throw new DicomParseError(
      'decode-failed',
      `JPEG-LS precision ${header.precision} exceeds Bits Allocated ${pm.bitsAllocated}`,
    );
  const decoder = await wasmDecoder('@cornerstonejs/codec-charls/decodewasmjs', 'JpegLSDecoder');
  const { bytes, planar } = runWasm(decoder, encoded, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    checkDimensions(pm, info.width, info.height, info.componentCount, 'JPEG-LS');
    return { bytes: d.getDecodedBuffer().slice(), planar: info.componentCount > 1 && d.getInterleaveMode?.() === 0 };
  });
  const pixels = pm.rows * pm.columns;
  checkLength(bytes.length, pixels * pm.samplesPerPixel * bytesPerSample, 'JPEG-LS');
  return {
    bytes: planar ? interleave(bytes, pixels, bytesPerSample) : bytes,
    bytesPerSample,
    photometric: pm.photometricInterpretation,
    precision: header.precision,
  };
}
