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
  const stream =
    pm.samplesPerPixel === 3 && pm.photometricInterpretation === 'RGB' ? withoutColorTransform(encoded) : encoded;
  const bytes = runWasm(decoder, stream, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    checkDimensions(pm, info.width, info.height, info.componentCount, 'JPEG');
    const out = d.getDecodedBuffer().slice();
    checkLength(out.length, pm.rows * pm.columns * pm.samplesPerPixel, 'JPEG');
    return out;
  });
  return { bytes, bytesPerSample: 1, photometric: pm.samplesPerPixel === 3 ? 'RGB' : pm.photometricInterpretation };
}

/** Marker segments before the first SOF: which of JFIF (APP0) and Adobe (APP14) are present. */
function colorMarkers(bytes: Uint8Array): { jfif: boolean; adobe: boolean } {
  let jfif = false;
  let adobe = false;
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xcc) break;
    if (marker === 0xe0) jfif = true;
    if (marker === 0xee) adobe = true;
    p += 2 + ((bytes[p + 2]! << 8) | bytes[p + 3]!);
  }
  return { jfif, adobe };
}

/**
 * DICOM says RGB and the stream carries no JFIF/Adobe colour marker: the samples are RGB as stored (dcmtk and
 * GDCM agree). libjpeg would guess YCbCr and convert, so declare "no transform" with an Adobe APP14 segment.
 */
function withoutColorTransform(encoded: Uint8Array): Uint8Array {
  const { jfif, adobe } = colorMarkers(encoded);
  if (jfif || adobe) return encoded;
  const app14 = Uint8Array.of(
    0xff,
    0xee,
    0x00,
    0x0e,
    0x41,
    0x64,
    0x6f,
    0x62,
    0x65,
    0x00,
    0x64,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
  );
  const out = new Uint8Array(encoded.length + app14.length);
  out.set(encoded.subarray(0, 2));
  out.set(app14, 2);
  out.set(encoded.subarray(2), 2 + app14.length);
  return out;
}
