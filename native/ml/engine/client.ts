import { Worker } from 'node:worker_threads';
import { workerScript } from '../../runtime/workerScript.js';
import type { BackendInfo } from '../../contract/channels.js';
import type { BackendName } from '../backend.js';
import type { EngineWorkerData } from './worker.js';
import {
  resultSchemas,
  workerMessageSchema,
  type EngineErrorCode,
  type EngineProgress,
  type EngineRequest,
  type EngineResults,
  type WorkerMessage,
} from './protocol.js';

/** Why a job failed: the contract's error code and a message without stack or paths. */
export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

/** A running job: its result, and a way to stop it (training stops within one batch). */
export interface EngineJob<T> {
  readonly id: string;
  readonly result: Promise<T>;
  cancel(): void;
}

/** Options of {@link EngineClient.start}. */
export interface EngineClientOptions {
  /** Start backend selection at this backend (e.g. `cpu`); default: fastest available. */
  backend?: BackendName;
}

type JobType = keyof EngineResults;
type RequestOf<K extends JobType> = Omit<Extract<EngineRequest, { type: K }>, 'type' | 'jobId'>;

interface Pending {
  type: JobType;
  resolve(value: unknown): void;
  reject(error: EngineError): void;
  onProgress: ((p: EngineProgress) => void) | undefined;
}

/**
 * The main-thread side of the ML engine: one worker thread owns TensorFlow.js; this client sends
 * it validated jobs and delivers progress through callbacks (which the core forwards as contract
 * events). Jobs run one at a time in submission order.
 */
export class EngineClient {
  readonly #worker: Worker;
  readonly #pending = new Map<string, Pending>();
  #nextId = 1;
  #closed: EngineError | null = null;
  /** The backend the worker selected. */
  readonly backend: BackendInfo;

  private constructor(worker: Worker, backend: BackendInfo) {
    this.#worker = worker;
    this.backend = backend;
    worker.on('message', (raw: unknown) => this.#onMessage(raw));
    worker.on('error', (error) =>
      this.#fail(new EngineError('internal', `ML engine worker crashed: ${error.message.split('\n')[0]}`)),
    );
    worker.on('exit', (code) => this.#fail(new EngineError('unavailable', `ML engine worker exited (code ${code})`)));
  }

  /** Starts the worker and resolves once it has selected its backend. */
  static async start(options: EngineClientOptions = {}): Promise<EngineClient> {
    const script = workerScript(import.meta.url, 'worker.ts', 'native/ml/engine/worker.js');
    if (script === null)
      throw new EngineError('unavailable', 'ML engine worker entry (native/ml/engine/worker.js) not found');
    const data: EngineWorkerData = options.backend !== undefined ? { backend: options.backend } : {};
    const worker = new Worker(script.spec, { eval: script.eval, workerData: data, name: 'osler-ml-engine' });
    const backend = await new Promise<BackendInfo>((resolve, reject) => {
      const onExit = (code: number) =>
        reject(new EngineError('unavailable', `ML engine worker exited during start (code ${code})`));
      const onError = (error: Error) =>
        reject(new EngineError('unavailable', `ML engine worker failed to start: ${error.message.split('\n')[0]}`));
      worker.once('exit', onExit);
      worker.once('error', onError);
      worker.once('message', (raw: unknown) => {
        worker.off('exit', onExit);
        worker.off('error', onError);
        const message = workerMessageSchema.safeParse(raw);
        if (message.success && message.data.type === 'ready') resolve(message.data.backend);
        else {
          void worker.terminate();
          reject(
            new EngineError(
              'unavailable',
              message.success && message.data.type === 'fatal'
                ? message.data.message
                : 'ML engine worker sent an unexpected first message',
            ),
          );
        }
      });
    });
    return new EngineClient(worker, backend);
  }

  /** Trains a model from a spec; it stays loaded in the worker under `modelId`. */
  train(request: RequestOf<'train'>, onProgress?: (p: EngineProgress) => void): EngineJob<EngineResults['train']> {
    return this.#submit('train', request, onProgress);
  }

  /** Runs a loaded model over `x` in batches. */
  predict(
    request: RequestOf<'predict'>,
    onProgress?: (p: EngineProgress) => void,
  ): EngineJob<EngineResults['predict']> {
    return this.#submit('predict', request, onProgress);
  }

  /** Loss (and accuracy for classifiers) of a loaded model on labelled data. */
  evaluate(request: RequestOf<'evaluate'>): EngineJob<EngineResults['evaluate']> {
    return this.#submit('evaluate', request);
  }

  /** Attributions for one sample: Grad-CAM (images), integrated gradients or occlusion. */
  explain(request: RequestOf<'explain'>): EngineJob<EngineResults['explain']> {
    return this.#submit('explain', request);
  }

  /** Saves a loaded model into a folder (model.json + weights.bin, durably). */
  save(request: RequestOf<'save'>): Promise<EngineResults['save']> {
    return this.#submit('save', request).result;
  }

  /** Loads a model folder under `modelId`. */
  load(request: RequestOf<'load'>): Promise<EngineResults['load']> {
    return this.#submit('load', request).result;
  }

  /** Frees a loaded model. */
  dispose(modelId: string): Promise<EngineResults['dispose']> {
    return this.#submit('dispose', { modelId }).result;
  }

  /** The worker's tfjs memory figures (live tensors, bytes). */
  memory(): Promise<EngineResults['memory']> {
    return this.#submit('memory', {}).result;
  }

  /** Stops the worker; pending jobs fail with `unavailable`. */
  async close(): Promise<void> {
    this.#fail(new EngineError('unavailable', 'ML engine closed'));
    await this.#worker.terminate();
  }

  #submit<K extends JobType>(
    type: K,
    request: object,
    onProgress?: (p: EngineProgress) => void,
  ): EngineJob<EngineResults[K]> {
    const id = `job-${this.#nextId++}`;
    const result = new Promise<EngineResults[K]>((resolve, reject) => {
      if (this.#closed !== null) return reject(this.#closed);
      this.#pending.set(id, { type, resolve: resolve as (v: unknown) => void, reject, onProgress });
      try {
        // Copied, not transferred: the caller keeps its arrays.
        this.#worker.postMessage({ ...request, type, jobId: id });
      } catch (error) {
        this.#pending.delete(id);
        reject(
          new EngineError(
            'invalid-input',
            `cannot send the job: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
    });
    return {
      id,
      result,
      cancel: () => {
        if (this.#pending.has(id)) this.#worker.postMessage({ type: 'cancel', jobId: id });
      },
    };
  }

  #onMessage(raw: unknown): void {
    const parsed = workerMessageSchema.safeParse(raw);
    if (!parsed.success) return;
    const message: WorkerMessage = parsed.data;
    if (message.type === 'ready' || message.type === 'fatal') return;
    const pending = this.#pending.get(message.jobId);
    if (pending === undefined) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.progress);
      return;
    }
    this.#pending.delete(message.jobId);
    if (message.type === 'error') {
      pending.reject(new EngineError(message.code, message.message));
      return;
    }
    const value = resultSchemas[pending.type].safeParse(message.value);
    if (value.success) pending.resolve(value.data);
    else pending.reject(new EngineError('internal', `ML engine answered ${pending.type} with an invalid result`));
  }

  #fail(error: EngineError): void {
    if (this.#closed === null) this.#closed = error;
    for (const [id, pending] of this.#pending) {
      this.#pending.delete(id);
      pending.reject(error);
    }
  }
}
