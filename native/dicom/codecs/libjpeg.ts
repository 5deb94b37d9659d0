import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DicomParseError } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';

const require = createRequire(import.meta.url);

/** The parts of dcmjs-codecs' NativeCodecs used here: its libjpeg-turbo 3 build (8/12/16-bit and lossless). */
interface WasmApi {
  wasmMemory: { readonly buffer: ArrayBufferLike };
  wasmDecodeJpeg(context: number, parameters: number): void;
  wasmReleaseCodecsContext(context: number): void;
}
interface CodecsContext {
  getDecodedBuffer(): Uint8Array;
  getWidth(): number;
  getHeight(): number;
  getSamplesPerPixel(): number;
}
interface NativeCodecs {
  wasmApi?: WasmApi;
  initializeAsync(options: { webAssemblyModulePathOrUrl?: string; logCodecsInfo?: boolean }): Promise<void>;
  release(): void;
  _createDecoderContext(context: object): number;
  _createDecoderParameters(parameters: { convertColorspaceToRgb?: boolean }): number;
  _releaseDecoderContext(context: number): CodecsContext;
  _releaseDecoderParameters(parameters: number): void;
}
interface DcmjsCodecs {
  NativeCodecs: NativeCodecs;
  Context: new (attrs: Record<string, unknown>) => object;
}

/**
 * A failed decode unwinds through libjpeg without freeing its pools (the codec throws from its error handler),
 * so the module is replaced once its memory has grown past this: corrupt input cannot grow memory without bound.
 */
const MAX_WASM_BYTES = 128 << 20;

let ready: Promise<DcmjsCodecs> | undefined;

function codecs(): Promise<DcmjsCodecs> {
  if (!ready) {
    ready = (async () => {
      let mod: DcmjsCodecs;
      let wasmPath: string;
      try {
        mod = require('dcmjs-codecs') as DcmjsCodecs;
        wasmPath = join(dirname(require.resolve('dcmjs-codecs')), 'dcmjs-native-codecs.wasm');
      } catch (e) {
        throw new DicomParseError('decode-failed', 'codec package dcmjs-codecs cannot be loaded', { cause: e });
      }
      await mod.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: wasmPath, logCodecsInfo: false });
      return mod;
    })();
    ready.catch(() => {
      ready = undefined;
    });
  }
  return ready;
}

/** Samples of one frame decoded by libjpeg: little-endian bytes, interleaved when colour. */
export interface LibjpegFrame {
  readonly bytes: Uint8Array;
  readonly bytesPerSample: 1 | 2;
}

/**
 * Decode one JPEG frame (any process libjpeg-turbo 3 knows: baseline/extended 8 and 12 bit, lossless 2-16 bit)
 * with dcmjs-codecs' libjpeg-turbo WebAssembly build. Colour is returned as stored (no YCbCr conversion).
 * @throws DicomParseError `decode-failed` when libjpeg refuses the stream or returns a frame of the wrong size.
 */
export async function decodeWithLibjpeg(encoded: Uint8Array, pm: PixelModule, codec: string): Promise<LibjpegFrame> {
  const mod = await codecs();
  const nc = mod.NativeCodecs;
  const api = nc.wasmApi;
  if (!api) throw new DicomParseError('decode-failed', 'dcmjs-codecs is not initialised');
  let contextPtr = 0;
  let paramsPtr = 0;
  let decoded: CodecsContext;
  try {
    const context = new mod.Context({
      width: pm.columns,
      height: pm.rows,
      bitsAllocated: pm.bitsAllocated,
      bitsStored: pm.bitsStored,
      samplesPerPixel: pm.samplesPerPixel,
      pixelRepresentation: pm.pixelRepresentation,
      planarConfiguration: 0,
      photometricInterpretation: pm.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2',
      encodedBuffer: encoded,
    });
    contextPtr = nc._createDecoderContext(context);
    paramsPtr = nc._createDecoderParameters({ convertColorspaceToRgb: false });
    api.wasmDecodeJpeg(contextPtr, paramsPtr);
    // Releasing the context copies the decoded frame out of wasm memory.
    decoded = nc._releaseDecoderContext(contextPtr);
    contextPtr = 0;
  } catch (e) {
    if (contextPtr) safely(() => api.wasmReleaseCodecsContext(contextPtr));
    if (api.wasmMemory.buffer.byteLength > MAX_WASM_BYTES) {
      nc.release();
      ready = undefined;
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new DicomParseError('decode-failed', `${codec} decode failed: ${msg}`, { cause: e });
  } finally {
    if (paramsPtr) safely(() => nc._releaseDecoderParameters(paramsPtr));
  }
  const bytes = decoded.getDecodedBuffer();
  const samples = pm.rows * pm.columns * pm.samplesPerPixel;
  const bytesPerSample = bytes.length / samples;
  if (
    decoded.getWidth() !== pm.columns ||
    decoded.getHeight() !== pm.rows ||
    (bytesPerSample !== 1 && bytesPerSample !== 2)
  )
    throw new DicomParseError(
      'decode-failed',
      `${codec} produced ${bytes.length} bytes for ${decoded.getWidth()}x${decoded.getHeight()}, expected ${pm.columns}x${pm.rows}x${pm.samplesPerPixel}`,
    );
  return { bytes, bytesPerSample };
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Cleanup after a failed decode must not hide the decode error.
  }
}
