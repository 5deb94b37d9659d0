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
  wasmemscripten_stack_get_current(): number;
  wasm_emscripten_stack_restore(pointer: number): void;
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
 * A failed decode unwinds through libjpeg by a JavaScript exception (the codec throws from its error handler):
 * the shadow stack pointer is restored here, but libjpeg's heap pools leak, in a heap of fixed size (256 MiB).
 * So the module is replaced once failures may have leaked this much (each counted at its frame's decoded size,
 * an upper bound of what sequential libjpeg holds). Without both measures, 20,000 failed decodes of a 256x1024
 * frame ended in out-of-bounds accesses that broke every later decode; with them the heap stays healthy.
 */
const LEAK_BUDGET_BYTES = 32 << 20;

let ready: Promise<DcmjsCodecs> | undefined;
let leaked = 0;

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
      leaked = 0;
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
  const stack = api.wasmemscripten_stack_get_current();
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
    safely(() => api.wasm_emscripten_stack_restore(stack));
    if (contextPtr) safely(() => api.wasmReleaseCodecsContext(contextPtr));
    leaked += Math.max(64 << 10, pm.rows * pm.columns * pm.samplesPerPixel * 2);
    if (leaked > LEAK_BUDGET_BYTES && nc.wasmApi === api) {
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
