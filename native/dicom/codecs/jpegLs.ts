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
  // CharLS refuses a stream without EOI anyway, but when the entropy data is cut short it first spends seconds
  // (about 6 s of CPU for a 384x384 16-bit frame, growing with the frame) decoding past the end; a truncated
  // fragment is the common way to get there, so it is refused up front.
  if (!endsWithEoi(encoded))
    throw new DicomParseError('decode-failed', 'JPEG-LS frame does not end with an EOI marker (truncated or damaged)');
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

/** True when FFD9 (EOI) ends the stream, allowing the few padding bytes writers leave after it. */
function endsWithEoi(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 2; i >= Math.max(0, bytes.length - 8); i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}
