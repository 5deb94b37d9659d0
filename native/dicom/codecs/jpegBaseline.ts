import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import { checkDimensions, checkLength } from './check.js';
import { readJpegFrameHeader } from './markers.js';
import type { CodecOutput } from './types.js';
import { runWasm, wasmDecoder } from './wasm.js';

/**
 * JPEG baseline and extended (.50/.51) via libjpeg-turbo (8-bit build). Colour comes back as RGB because
 * libjpeg applies the YCbCr->RGB transform the JFIF/Adobe markers ask for.
 */
export async function decodeJpegBaseline(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new DicomParseError('decode-failed', 'JPEG frame has no SOI/SOF header');
  checkDimensions(pm, header.columns, header.rows, header.components, 'JPEG');
  if (header.precision > 8) {
    throw new DicomParseError(
      'unsupported-transfer-syntax',
      `${header.precision}-bit JPEG (process 4) needs a 12-bit JPEG codec; the installed libjpeg-turbo build decodes 8-bit only`,
    );
  }
  const decoder = await wasmDecoder('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs', 'JPEGDecoder');
  const bytes = runWasm(decoder, encoded, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    checkDimensions(pm, info.width, info.height, info.componentCount, 'JPEG');
    const out = d.getDecodedBuffer().slice();
    checkLength(out.length, pm.rows * pm.columns * pm.samplesPerPixel, 'JPEG');
    return out;
  });
  return { bytes, bytesPerSample: 1, photometric: pm.samplesPerPixel === 3 ? 'RGB' : pm.photometricInterpretation };
}
