import { createRequire } from 'node:module';
import { DicomParseError } from '../errors.js';

const require = createRequire(import.meta.url);

/** The shape shared by the cornerstone Emscripten decoders (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH). */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  readHeader?(): void;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number; isSigned: boolean };
  getInterleaveMode?(): number;
  getNearLossless?(): number;
  getColorSpace?(): number;
  delete?(): void;
}

type Factory = (options?: {
  print?: (s: string) => void;
  printErr?: (s: string) => void;
}) => Promise<Record<string, new () => WasmDecoder>>;

const instances = new Map<string, Promise<WasmDecoder>>();
const specifierOf = new WeakMap<WasmDecoder, string>();
const failuresOf = new WeakMap<WasmDecoder, number>();

/**
 * Codec errors unwind through wasm frames as exceptions, which leaks a little of the module's stack and heap
 * each time: `npm run fuzz` (seed 4) saw every JPEG-LS file fail after about 37,000 mostly corrupt inputs.
 * A decoder that has failed this often is dropped, and the next frame gets a fresh module instance.
 */
const FAILURES_BEFORE_RECYCLE = 64;

/**
 * One lazily created decoder per codec package, reused across frames (decode calls are synchronous, so a
 * single instance per thread is safe). `specifier` is the package export of the Emscripten factory.
 */
export function wasmDecoder(specifier: string, className: string): Promise<WasmDecoder> {
  let p = instances.get(specifier);
  if (!p) {
    p = (async () => {
      let factory: Factory;
      try {
        factory = require(specifier) as Factory;
      } catch (e) {
        throw new DicomParseError('decode-failed', `codec package ${specifier} cannot be loaded`, { cause: e });
      }
      // OpenJPEG logs [INFO] lines to stdout; keep codec chatter out of CLI output.
      const mod = await factory({ print: () => {}, printErr: () => {} });
      const Ctor = mod[className];
      if (!Ctor) throw new DicomParseError('decode-failed', `codec package ${specifier} has no ${className}`);
      const decoder = new Ctor();
      specifierOf.set(decoder, specifier);
      return decoder;
    })();
    instances.set(specifier, p);
    p.catch(() => instances.delete(specifier));
  }
  return p;
}

/**
 * Run one decode on a shared wasm decoder: copy the frame in, decode, copy the result out (the decoded
 * buffer is a view into wasm memory that the next call overwrites). Emscripten aborts become DicomParseError.
 */
export function runWasm<T>(decoder: WasmDecoder, encoded: Uint8Array, after: (d: WasmDecoder) => T): T {
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    return after(decoder);
  } catch (e) {
    recordFailure(decoder);
    if (e instanceof DicomParseError) throw e;
    const msg = e instanceof Error ? e.message : typeof e === 'number' ? `codec error ${e}` : String(e);
    throw new DicomParseError('decode-failed', `codec failed: ${msg}`, { cause: e });
  }
}

function recordFailure(decoder: WasmDecoder): void {
  const n = (failuresOf.get(decoder) ?? 0) + 1;
  failuresOf.set(decoder, n);
  const specifier = specifierOf.get(decoder);
  if (n < FAILURES_BEFORE_RECYCLE || specifier === undefined) return;
  instances.delete(specifier);
  specifierOf.delete(decoder);
}
