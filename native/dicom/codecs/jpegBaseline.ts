import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import { checkDimensions, checkLength } from './check.js';
import { readJpegFrameHeader } from './markers.js';
import type { CodecOutput } from './types.js';
import { decodeWithLibjpeg } from './libjpeg.js';
import { runWasm, wasmDecoder } from './wasm.js';

/**
 * JPEG baseline and extended (.50/.51) via libjpeg-turbo: the cornerstone 8-bit build for 8-bit streams, the
 * dcmjs-codecs build (libjpeg-turbo 3, 12-bit capable) for process 4 streams of 9-12 bits. Colour comes back as RGB because
 * libjpeg applies the YCbCr->RGB transform the JFIF/Adobe markers ask for.
 */
export async function decodeJpegBaseline(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  const header = readJpegFrameHeader(encoded);
  if (!header) throw new DicomParseError('decode-failed', 'JPEG frame has no SOI/SOF header');
  checkDimensions(pm, header.columns, header.rows, header.components, 'JPEG');
  if (header.precision > 8) return decodeExtended12(encoded, pm, header.precision);
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

/** 12-bit JPEG extended (process 4): grayscale or colour samples as stored, 2 bytes each. */
async function decodeExtended12(encoded: Uint8Array, pm: PixelModule, precision: number): Promise<CodecOutput> {
  if (precision > 12)
    throw new DicomParseError('decode-failed', `JPEG extended precision ${precision} exceeds 12 bits`);
  if (pm.bitsAllocated < 16)
    throw new DicomParseError(
      'decode-failed',
      `${precision}-bit JPEG needs Bits Allocated 16, not ${pm.bitsAllocated}`,
    );
  const { bytes, bytesPerSample } = await decodeWithLibjpeg(encoded, pm, '12-bit JPEG');
  checkLength(bytes.length, pm.rows * pm.columns * pm.samplesPerPixel * 2, '12-bit JPEG');
  // libjpeg upsamples chroma, so 4:2:2 colour comes back at full resolution.
  const photometric = pm.photometricInterpretation === 'YBR_FULL_422' ? 'YBR_FULL' : pm.photometricInterpretation;
  return { bytes, bytesPerSample, photometric, precision };
}
