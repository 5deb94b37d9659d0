import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerScript, type WorkerScript } from '../../runtime/workerScript.js';
import { DicomParseError, type DicomErrorReason } from '../errors.js';
import type { PixelModule } from '../pixelModule.js';
import {
  GUARDED_CODEC_NAMES,
  GUARDED_DECODERS,
  type CodecReply,
  type CodecRequest,
  type GuardedCodec,
} from './guarded.js';
import type { CodecOutput } from './types.js';

/**
 * Time a frame may take to decode: a fixed allowance plus a per-sample one, both far above what an
 * intact frame needs (CharLS decodes a 512x512 16-bit frame in about 5 ms, OpenJPEG in about 60 ms), so
 * only a decoder that has run away on damaged data reaches it.
 */
function decodeDeadlineMs(pm: PixelModule): number {
  return Math.round(DEADLINE_BASE_MS + pm.rows * pm.columns * pm.samplesPerPixel * DEADLINE_MS_PER_SAMPLE);
}
const DEADLINE_BASE_MS = 2_000;
const DEADLINE_MS_PER_SAMPLE = 0.0005;

interface Job {
  readonly request: CodecRequest;
  readonly deadlineMs: number;
  resolve(output: CodecOutput): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | null;
  timer: NodeJS.Timeout | null;
  /** Ends an idle worker (its codecs' wasm memory is tens of MB); the next frame starts a fresh one. */
  idle: NodeJS.Timeout | null;
}

/** How long a codec worker may sit idle before it is stopped to return its memory. */
const IDLE_MS = 20_000;

/**
 * Decodes frames of the guarded codecs in worker threads, each under a deadline: a decoder that
 * runs past it (a wasm codec looping on damaged data cannot be interrupted any other way) has its
 * worker terminated, and the frame fails with `decode-failed`. Up to two workers decode in parallel;
 * idle workers do not keep the process alive, and stop after 20 s idle to return their memory. Where no worker script ships, frames decode in-process
 * without a deadline.
 */
export class CodecPool {
  readonly #script: WorkerScript | null;
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 1;

  readonly #idleMs: number;

  constructor(script: WorkerScript | null, size = Math.max(1, Math.min(2, availableParallelism())), idleMs = IDLE_MS) {
    this.#script = script;
    this.#size = size;
    this.#idleMs = idleMs;
  }

  /** Codec workers running now (idle ones stop after a while). */
  get workers(): number {
    return this.#slots.length;
  }

  /** Whether frames run in workers under a deadline (false: in-process). */
  get guarded(): boolean {
    return this.#script !== null;
  }

  decode(
    codec: GuardedCodec,
    encoded: Uint8Array,
    pm: PixelModule,
    deadlineMs = decodeDeadlineMs(pm),
  ): Promise<CodecOutput> {
    if (this.#script === null) return GUARDED_DECODERS[codec](encoded, pm);
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { id: this.#nextId++, codec, encoded, pm }, deadlineMs, resolve, reject });
      this.#pump();
    });
  }

  /** Stops every worker; queued and running frames fail. */
  async close(): Promise<void> {
    const error = new DicomParseError('decode-failed', 'the codec workers were stopped');
    for (const job of this.#queue.splice(0)) job.reject(error);
    await Promise.all(
      this.#slots.splice(0).map((slot) => {
        if (slot.timer) clearTimeout(slot.timer);
        if (slot.idle) clearTimeout(slot.idle);
        slot.job?.reject(error);
        slot.job = null;
        return slot.worker.terminate();
      }),
    );
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.job === null);
      if (slot === undefined) {
        if (this.#slots.length >= this.#size) return;
        slot = this.#spawn();
      }
      this.#start(slot, this.#queue.shift()!);
    }
  }

  #spawn(): Slot {
    const script = this.#script!;
    const worker = new Worker(script.spec, { eval: script.eval });
    const slot: Slot = { worker, job: null, timer: null, idle: null };
    worker.unref();
    worker.on('message', (reply: CodecReply) => {
      const job = slot.job;
      if (job === null || job.request.id !== reply.id) return;
      this.#finish(slot);
      if (reply.ok) job.resolve(reply.output);
      else job.reject(new DicomParseError(reply.reason as DicomErrorReason, reply.message));
    });
    const lost = (why: string) => {
      const job = slot.job;
      this.#drop(slot);
      job?.reject(new DicomParseError('decode-failed', `the codec worker stopped while decoding (${why})`));
      this.#pump();
    };
    worker.on('error', (error) => lost(error.message.split('\n')[0] ?? 'error'));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    this.#slots.push(slot);
    return slot;
  }

  #start(slot: Slot, job: Job): void {
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    slot.job = job;
    slot.worker.ref();
    slot.timer = setTimeout(() => {
      // The decoder has run away: only terminating its thread stops a wasm call. A native call (the
      // libopenjp2 addon) cannot be interrupted at all: its thread runs on until the call returns and then
      // exits, but the frame is rejected now and later frames go to a fresh worker.
      this.#drop(slot);
      void slot.worker.terminate();
      job.reject(
        new DicomParseError(
          'decode-failed',
          `${GUARDED_CODEC_NAMES[job.request.codec]} frame did not decode within ${job.deadlineMs} ms ` +
            `(${job.request.pm.columns}x${job.request.pm.rows}); the compressed data is probably damaged`,
        ),
      );
      this.#pump();
    }, job.deadlineMs);
    // A copy of just this frame's bytes, transferred: posting the caller's view would clone the whole
    // buffer under it (often the entire file). Not .slice(): on a Buffer that is a view, and transferring
    // its buffer would detach the caller's file.
    const encoded = new Uint8Array(job.request.encoded);
    slot.worker.postMessage({ ...job.request, encoded }, [encoded.buffer]);
  }

  #finish(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = null;
    slot.job = null;
    slot.worker.unref();
    this.#pump();
    if (slot.job === null) {
      slot.idle = setTimeout(() => {
        this.#drop(slot);
        void slot.worker.terminate();
      }, this.#idleMs);
      slot.idle.unref();
    }
  }

  #drop(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    if (slot.idle) clearTimeout(slot.idle);
    slot.timer = null;
    slot.idle = null;
    slot.job = null;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
  }
}

let shared: CodecPool | null = null;

/** The process-wide pool (workers start on first use). */
export function codecPool(): CodecPool {
  shared ??= new CodecPool(workerScript(import.meta.url, 'codecWorker.ts', 'native/dicom/codecs/codecWorker.js'));
  return shared;
}
