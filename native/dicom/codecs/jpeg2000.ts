import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import { checkDimensions, checkLength } from './check.js';
import { readJ2kSize } from './markers.js';
import { openJp2, type OpenJp2Addon } from './openjp2.js';
import type { CodecOutput } from './types.js';
import { runWasm, wasmDecoder } from './wasm.js';

function j2kPhotometric(pm: PixelModule): string {
  // OpenJPEG/OpenJPH apply the inverse multi-component transform, so YBR_ICT/YBR_RCT come back as RGB.
  const p = pm.photometricInterpretation;
  return p === 'YBR_ICT' || p === 'YBR_RCT' ? 'RGB' : p;
}

interface J2kSamples {
  readonly bytes: Uint8Array;
  readonly bitsPerSample: number;
  readonly isSigned: boolean;
}

async function wasmSamples(encoded: Uint8Array, pm: PixelModule, htj2k: boolean, name: string): Promise<J2kSamples> {
  const decoder = htj2k
    ? await wasmDecoder('@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KDecoder')
    : await wasmDecoder('@cornerstonejs/codec-openjpeg/decodewasmjs', 'J2KDecoder');
  return runWasm(decoder, encoded, (d) => {
    d.decode();
    const info = d.getFrameInfo();
    checkDimensions(pm, info.width, info.height, info.componentCount, name);
    return { bytes: d.getDecodedBuffer().slice(), bitsPerSample: info.bitsPerSample, isSigned: info.isSigned };
  });
}

function nativeSamples(addon: OpenJp2Addon, encoded: Uint8Array, pm: PixelModule, name: string): J2kSamples {
  try {
    // The addon checks the codestream's size against these before it decodes anything.
    return addon.decode(encoded, pm.columns, pm.rows, pm.samplesPerPixel);
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^openjp2: /, '') : String(e);
    throw new DicomParseError('decode-failed', `${name} frame cannot be decoded: ${msg}`, { cause: e });
  }
}

async function decodeJ2kFamily(encoded: Uint8Array, pm: PixelModule, htj2k: boolean): Promise<CodecOutput> {
  const name = htj2k ? 'HTJ2K' : 'JPEG 2000';
  const size = readJ2kSize(encoded);
  if (!size) throw new DicomParseError('decode-failed', `${name} frame has no SOC/SIZ header`);
  checkDimensions(pm, size.columns, size.rows, size.components, name);
  const addon = htj2k ? null : openJp2();
  const { bytes, bitsPerSample, isSigned } = addon
    ? nativeSamples(addon, encoded, pm, name)
    : await wasmSamples(encoded, pm, htj2k, name);
  const bytesPerSample = bitsPerSample <= 8 ? 1 : 2;
  if (bitsPerSample > 16)
    throw new DicomParseError('decode-failed', `${name} precision ${bitsPerSample} exceeds 16 bits`);
  checkLength(bytes.length, pm.rows * pm.columns * pm.samplesPerPixel * bytesPerSample, name);
  // Some writers mark signed data unsigned (or vice versa); the codestream is authoritative (as in pydicom and GDCM).
  const signed = isSigned !== (pm.pixelRepresentation === 1) ? isSigned : undefined;
  return {
    bytes,
    bytesPerSample,
    photometric: j2kPhotometric(pm),
    precision: bitsPerSample,
    ...(signed !== undefined ? { signed } : {}),
  };
}

/**
 * JPEG 2000 lossless and lossy (.90/.91) via OpenJPEG: the native addon over libopenjp2 when it is built
 * and loads (`openjp2.ts`), else the wasm build; both give the same samples.
 */
export function decodeJpeg2000(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  return decodeJ2kFamily(encoded, pm, false);
}

/** High-Throughput JPEG 2000 (.201/.202/.203) via OpenJPH. */
export function decodeHtj2k(encoded: Uint8Array, pm: PixelModule): Promise<CodecOutput> {
  return decodeJ2kFamily(encoded, pm, true);
}
