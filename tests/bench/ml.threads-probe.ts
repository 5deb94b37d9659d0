// Probe: can tfjs-backend-wasm 4.22's threaded build (tfjs-backend-wasm-threaded-simd.wasm) run under
// Node? Run `node --import tsx tests/bench/ml.threads-probe.ts [threads]` in a fresh process.
//
// Stock behaviour: flags_wasm.ts returns WASM_HAS_MULTITHREAD_SUPPORT=false whenever IS_NODE
// (tfjs issue #3830), so the single-threaded SIMD build loads. Forcing the flag fails at once:
// the Emscripten pthread pool is started with `new Worker(URL.createObjectURL(blob))`, and Node's
// Worker rejects blob: URLs (ERR_WORKER_PATH). This probe works around that (Blob subclass that
// keeps its text, object URLs written to temp .cjs files, the 'load' message's script Blob replaced
// by a path, and the bundle-scope names the factory's toString() refers to defined in the worker).
// With that the module initialises and its 8 pool workers load, but pthreadpool never dispatches
// work to them (the backend reports 1 thread) and a 3x3 conv on 32x32x32x16 takes ~1 s instead of
// ~13 ms on the stock build. Not usable: Osler runs the single-threaded SIMD build.
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker as NodeWorker, type TransferListItem, type WorkerOptions } from 'node:worker_threads';

const dir = mkdtempSync(join(tmpdir(), 'osler-wasm-threads-'));
class TextBlob extends Blob {
  readonly text_: string;
  constructor(parts: unknown[], options?: BlobPropertyBag) {
    super(parts as BlobPart[], options);
    this.text_ = parts.map(String).join('');
  }
}
const prelude =
  "globalThis.require$$0=require('fs');globalThis.require$$1=require('path');globalThis.require$$3=require('perf_hooks');" +
  "globalThis.require$$4=require('os');globalThis.commonjsGlobal=globalThis;globalThis._scriptDir=undefined;\n";
const files = new Map<Blob, string>();
function fileFor(blob: TextBlob, withPrelude: boolean): string {
  let file = files.get(blob);
  if (file === undefined) {
    file = join(dir, `part${files.size}.cjs`);
    writeFileSync(file, (withPrelude ? prelude : '') + blob.text_);
    files.set(blob, file);
  }
  return file;
}
const createObjectURL = URL.createObjectURL.bind(URL);
URL.createObjectURL = (blob: Blob) => (blob instanceof TextBlob ? fileFor(blob, true) : createObjectURL(blob));
let runMessages = 0;
class PathWorker extends NodeWorker {
  constructor(file: string, options?: WorkerOptions) {
    super(file, options);
  }
  override postMessage(message: unknown, transfer?: readonly TransferListItem[]): void {
    const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (m?.cmd === 'run') runMessages++;
    if (m?.cmd === 'load' && m.urlOrBlob instanceof TextBlob)
      message = { ...m, urlOrBlob: fileFor(m.urlOrBlob, false) };
    super.postMessage(message, transfer);
  }
}
globalThis.Blob = TextBlob as typeof Blob;
Object.defineProperty(globalThis, 'Worker', { configurable: true, get: () => PathWorker, set: () => undefined });

tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
wasm.setThreadsCount(Number(process.argv[2] ?? 2));
const ok = await tf.setBackend('wasm');
console.log(`ml.wasm_threaded.initialised: ${ok ? 1 : 0} bool`);
console.log(`ml.wasm_threaded.threads: ${wasm.getThreadsCount()} threads`);
const x = tf.randomNormal([32, 32, 32, 16]) as tf.Tensor4D;
const w = tf.randomNormal([3, 3, 16, 32]) as tf.Tensor4D;
tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
const t0 = performance.now();
for (let i = 0; i < 3; i++) tf.tidy(() => tf.conv2d(x, w, 1, 'same').dataSync());
console.log(`ml.wasm_threaded.conv2d_32x32x16to32_b32_ms: ${((performance.now() - t0) / 3).toFixed(1)} ms`);
console.log(`ml.wasm_threaded.pthread_run_messages: ${runMessages} messages`);
process.exit(0);
