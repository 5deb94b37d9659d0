import * as tf from '@tensorflow/tfjs';
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../backend.js';
import { gradCam, integratedGradients, occlusion, predictedClass } from '../explain/attributions.js';
import { augmentBatch } from '../image/augment.js';
import { BundleDigestError, folderIOHandler } from '../io/folderHandler.js';
import {
  buildModel,
  isClassifier,
  modelSpecSchema,
  trainsTowersIndependently,
  type ModelSpec,
} from '../models/index.js';
import { IMAGE_RESNET_CAM_LAYER } from '../models/imageResnet.js';
import { seededRandom } from '../random.js';
import { evaluateLoss, trainLoop } from '../train/loop.js';
import type { LossKind } from '../train/losses.js';
import {
  requestSchema,
  transferablesOf,
  type EngineErrorCode,
  type EngineProgress,
  type EngineResults,
  type ParsedRequest,
  type TensorData,
  type WorkerMessage,
} from './protocol.js';

/** Options the client passes as workerData. */
export interface EngineWorkerData {
  backend?: BackendName;
}

if (parentPort === null) throw new Error('native/ml/engine/worker.ts must run as a worker thread');
const port = parentPort;

interface LoadedModel {
  model: tf.LayersModel;
  spec: ModelSpec | null;
}

class JobError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const models = new Map<string, LoadedModel>();
const cancelled = new Set<string>();
let queue: Promise<void> = Promise.resolve();

function send(message: WorkerMessage): void {
  port.postMessage(message, transferablesOf(message));
}

function toTensor(data: TensorData): tf.Tensor {
  return tf.tensor(data.values, data.shape, data.dtype);
}

function fromTensor(t: tf.Tensor): TensorData {
  const values = t.dataSync();
  return t.dtype === 'int32'
    ? { shape: t.shape, dtype: 'int32', values: Int32Array.from(values) }
    : { shape: t.shape, dtype: 'float32', values: Float32Array.from(values) };
}

function lossKindOf(spec: ModelSpec | null): LossKind {
  return spec !== null && !isClassifier(spec) ? 'gaussian' : 'categorical';
}

function loaded(modelId: string): LoadedModel {
  const m = models.get(modelId);
  if (m === undefined) throw new JobError('not-found', `no model loaded as ${modelId}`);
  return m;
}

function replaceModel(modelId: string, entry: LoadedModel): void {
  models.get(modelId)?.model.dispose();
  models.set(modelId, entry);
}

function progressThrottle(jobId: string): (p: EngineProgress) => void {
  let last = 0;
  return (p) => {
    const now = performance.now();
    // Batch reports at most every 100 ms; epoch reports and the last batch always.
    if (p.phase === 'batch' && p.batch !== p.batches && now - last < 100) return;
    last = now;
    send({ type: 'progress', jobId, progress: p });
  };
}

async function run(request: ParsedRequest): Promise<EngineResults[keyof EngineResults]> {
  switch (request.type) {
    case 'train': {
      const model = buildModel(request.spec);
      if (request.initFrom !== undefined) {
        const source = loaded(request.initFrom).model;
        const from = source.getWeights();
        const to = model.getWeights();
        const same = from.length === to.length && from.every((w, i) => w.shape.join('x') === to[i]!.shape.join('x'));
        if (!same) {
          model.dispose();
          throw new JobError('invalid-input', `model ${request.initFrom} does not have the architecture of the spec`);
        }
        model.setWeights(from);
      }
      const kind = lossKindOf(request.spec);
      const tensors: tf.Tensor[] = [];
      const keep = (t: tf.Tensor) => (tensors.push(t), t);
      try {
        const train = { x: keep(toTensor(request.train.x)), y: keep(toTensor(request.train.y)) };
        const validation = request.validation && {
          x: keep(toTensor(request.validation.x)),
          y: keep(toTensor(request.validation.y)),
        };
        let samplesPerSec = 0;
        const report = progressThrottle(request.jobId);
        const { augment, ...options } = request.options;
        if (augment !== undefined && request.spec.family !== 'image-resnet')
          throw new JobError('invalid-input', 'augmentation applies to image models only');
        if ((options.labelSmoothing ?? 0) > 0 && kind !== 'categorical')
          throw new JobError('invalid-input', 'label smoothing applies to classifiers only');
        const augmentRandom = seededRandom(request.options.seed + 7919);
        const outcome = await trainLoop(
          model,
          train,
          {
            ...options,
            loss: kind,
            memberLoss: trainsTowersIndependently(request.spec),
            ...(augment !== undefined
              ? { augment: (x: tf.Tensor) => augmentBatch(x as tf.Tensor4D, augment, augmentRandom) }
              : {}),
          },
          {
            onProgress: (p) => {
              samplesPerSec = p.samplesPerSec;
              report({ ...p, metrics: { ...p.metrics } });
            },
            shouldStop: () => cancelled.has(request.jobId),
          },
          validation,
        );
        if (outcome.cancelled) throw new JobError('cancelled', 'training cancelled');
        replaceModel(request.modelId, { model, spec: request.spec });
        return {
          modelId: request.modelId,
          epochsCompleted: outcome.epochsCompleted,
          bestEpoch: outcome.bestEpoch,
          history: { ...outcome.history },
          samplesPerSec,
          backend: tf.getBackend(),
        };
      } catch (error) {
        model.dispose();
        throw error;
      } finally {
        tf.dispose(tensors);
      }
    }
    case 'predict': {
      const { model } = loaded(request.modelId);
      const x = toTensor(request.x);
      try {
        const n = x.shape[0] ?? 0;
        const parts: Float32Array[] = [];
        let outShape: number[] = [0];
        const batches = Math.ceil(n / request.batchSize);
        const started = performance.now();
        const report = progressThrottle(request.jobId);
        for (let b = 0; b < batches; b++) {
          if (cancelled.has(request.jobId)) throw new JobError('cancelled', 'prediction cancelled');
          const start = b * request.batchSize;
          const size = Math.min(request.batchSize, n - start);
          tf.tidy(() => {
            const y = model.predict(x.slice(start, size)) as tf.Tensor;
            outShape = y.shape.slice(1);
            parts.push(Float32Array.from(y.dataSync()));
          });
          const elapsed = performance.now() - started;
          report({
            phase: 'batch',
            epoch: 1,
            epochs: 1,
            batch: b + 1,
            batches,
            loss: 0,
            metrics: {},
            samplesPerSec: ((start + size) * 1000) / Math.max(elapsed, 1e-3),
            etaMs: (elapsed / (b + 1)) * (batches - b - 1),
          });
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        const values = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
        let offset = 0;
        for (const p of parts) values.set(p, (offset += p.length) - p.length);
        return { y: { shape: [n, ...outShape], dtype: 'float32', values } };
      } finally {
        x.dispose();
      }
    }
    case 'evaluate': {
      const { model, spec } = loaded(request.modelId);
      const x = toTensor(request.x);
      const y = toTensor(request.y);
      try {
        const r = evaluateLoss(model, { x, y }, lossKindOf(spec), request.batchSize);
        return { ...r, samples: x.shape[0] ?? 0 };
      } finally {
        tf.dispose([x, y]);
      }
    }
    case 'explain': {
      const { model, spec } = loaded(request.modelId);
      const x = toTensor(request.x);
      try {
        if (x.shape[0] !== 1) throw new JobError('invalid-input', 'explain takes one sample (batch dimension 1)');
        const target = request.target ?? predictedClass(model, x);
        let attribution: tf.Tensor;
        if (request.method === 'grad-cam') {
          if (spec?.family !== 'image-resnet')
            throw new JobError('invalid-input', 'grad-cam needs an image-resnet model');
          attribution = tf.tidy(() => {
            const cam = gradCam(model, x, target, IMAGE_RESNET_CAM_LAYER);
            // Back onto the model's input grid, pixel centres aligned.
            return tf.image
              .resizeBilinear(cam.expandDims(-1) as tf.Tensor4D, [x.shape[1]!, x.shape[2]!], false, true)
              .squeeze([3]);
          });
        } else if (request.method === 'integrated-gradients') {
          attribution = integratedGradients(model, x, target, request.steps ?? 32);
        } else {
          attribution = occlusion(model, x, target);
        }
        try {
          return { method: request.method, target, attribution: fromTensor(attribution) };
        } finally {
          attribution.dispose();
        }
      } finally {
        x.dispose();
      }
    }
    case 'save': {
      const entry = loaded(request.modelId);
      entry.model.setUserDefinedMetadata({ ...(request.metadata ?? {}), osler: { spec: entry.spec } } as never);
      await entry.model.save(folderIOHandler(request.dir));
      return { modelId: request.modelId, spec: entry.spec };
    }
    case 'load': {
      let model: tf.LayersModel;
      try {
        model = await tf.loadLayersModel(
          folderIOHandler(request.dir, request.digests !== undefined ? { digests: request.digests } : {}),
        );
      } catch (error) {
        if (error instanceof BundleDigestError) throw new JobError('conflict', error.message);
        throw new JobError(
          'not-found',
          `cannot load a model from that folder: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
        );
      }
      const meta = model.getUserDefinedMetadata() as { osler?: { spec?: unknown } } | undefined;
      const parsed = modelSpecSchema.safeParse(meta?.osler?.spec);
      const spec = parsed.success ? parsed.data : null;
      replaceModel(request.modelId, { model, spec });
      return { modelId: request.modelId, spec };
    }
    case 'dispose': {
      const entry = loaded(request.modelId);
      entry.model.dispose();
      models.delete(request.modelId);
      return { modelId: request.modelId, spec: entry.spec };
    }
    case 'memory': {
      const m = tf.memory();
      return { numTensors: m.numTensors, numBytes: m.numBytes };
    }
    case 'cancel':
      throw new JobError('internal', 'cancel is not a job');
  }
}

function onMessage(raw: unknown): void {
  const parsed = requestSchema.safeParse(raw);
  if (!parsed.success) {
    const jobId = typeof (raw as { jobId?: unknown })?.jobId === 'string' ? (raw as { jobId: string }).jobId : '?';
    send({
      type: 'error',
      jobId,
      code: 'invalid-input',
      message: parsed.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')
        .slice(0, 500),
    });
    return;
  }
  const request = parsed.data;
  if (request.type === 'cancel') {
    cancelled.add(request.jobId);
    return;
  }
  // Jobs run one at a time: tfjs state (one backend, one heap) is not shared safely across jobs.
  queue = queue.then(async () => {
    try {
      if (cancelled.has(request.jobId)) throw new JobError('cancelled', 'cancelled before it started');
      const value = await run(request);
      send({ type: 'result', jobId: request.jobId, value });
    } catch (error) {
      const code = error instanceof JobError ? error.code : 'internal';
      // Stacks stay in the worker's stderr (never in answers), on request.
      if (code === 'internal' && process.env.OSLER_ENGINE_DEBUG === '1') console.error(error);
      const message = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 500) : String(error);
      send({ type: 'error', jobId: request.jobId, code, message });
    } finally {
      cancelled.delete(request.jobId);
    }
  });
}

try {
  const options = (workerData ?? {}) as EngineWorkerData;
  const backend = await selectBackend(options.backend);
  port.on('message', onMessage);
  send({ type: 'ready', backend });
} catch (error) {
  send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
}
