import { z } from 'zod';
import { backendInfoSchema } from '../../contract/channels.js';
import { modelSpecSchema } from '../models/index.js';

/**
 * Messages between the main thread (EngineClient) and the engine worker. Every message is
 * validated on arrival with these schemas; typed arrays travel by transfer, not copy.
 */

/** A tensor crossing the thread boundary: shape, dtype and row-major values. */
export const tensorDataSchema = z
  .strictObject({
    shape: z.array(z.number().int().nonnegative()),
    dtype: z.enum(['float32', 'int32']),
    // z.custom keeps the plain Float32Array/Int32Array types (any backing buffer), which
    // z.instanceof would narrow to ArrayBuffer-backed arrays.
    values: z.custom<Float32Array | Int32Array>((v) => v instanceof Float32Array || v instanceof Int32Array, {
      message: 'expected a Float32Array or Int32Array',
    }),
  })
  .refine((t) => t.values.length === t.shape.reduce((a, b) => a * b, 1), { message: 'values do not match shape' })
  .refine((t) => (t.dtype === 'float32') === t.values instanceof Float32Array, {
    message: 'values do not match dtype',
  });

/** A tensor crossing the thread boundary. */
export type TensorData = z.infer<typeof tensorDataSchema>;

const jobId = z.string().min(1).max(100);
const modelId = z.string().min(1).max(200);
const batchSize = z.number().int().positive().max(4096);
const datasetSchema = z.strictObject({ x: tensorDataSchema, y: tensorDataSchema });

/** Hyper-parameters of a training job. */
export const trainOptionsSchema = z.strictObject({
  epochs: z.number().int().positive().max(10_000),
  batchSize,
  learningRate: z.number().positive().max(10),
  seed: z.number().int(),
  classWeights: z.array(z.number().nonnegative()).optional(),
  patience: z.number().int().nonnegative().optional(),
  lrDecay: z.number().positive().max(1).optional(),
  /** Decoupled weight decay (AdamW) on kernels and embeddings; 0 or absent: none. */
  weightDecay: z.number().nonnegative().max(100).optional(),
  /** Label smoothing of classification targets, in [0, 0.5); 0 or absent: none. */
  labelSmoothing: z.number().nonnegative().lt(0.5).optional(),
  /** Image augmentation (image models only), drawn from a generator seeded with `seed`. */
  augment: z
    .strictObject({
      flipHorizontal: z.boolean().optional(),
      maxRotationDeg: z.number().min(0).max(45).optional(),
      maxShiftFraction: z.number().min(0).max(0.5).optional(),
      intensityJitter: z.number().min(0).max(1).optional(),
    })
    .optional(),
});

/** Requests the main thread sends; each carries a jobId its answer will carry. */
export const requestSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('train'),
    jobId,
    /** Handle under which the trained model stays loaded in the worker. */
    modelId,
    spec: modelSpecSchema,
    /** Fine-tuning: start from the weights of this loaded model (same architecture) instead of a fresh init. */
    initFrom: modelId.optional(),
    train: datasetSchema,
    validation: datasetSchema.optional(),
    options: trainOptionsSchema,
  }),
  z.strictObject({ type: z.literal('predict'), jobId, modelId, x: tensorDataSchema, batchSize: batchSize.default(64) }),
  z.strictObject({
    type: z.literal('evaluate'),
    jobId,
    modelId,
    x: tensorDataSchema,
    y: tensorDataSchema,
    batchSize: batchSize.default(64),
  }),
  z.strictObject({
    type: z.literal('explain'),
    jobId,
    modelId,
    /** One sample, batch dimension included (shape [1, ...]). */
    x: tensorDataSchema,
    method: z.enum(['integrated-gradients', 'grad-cam', 'occlusion']),
    /** Class (or output index) to explain; defaults to the predicted class. */
    target: z.number().int().nonnegative().optional(),
    steps: z.number().int().positive().max(512).optional(),
  }),
  z.strictObject({
    type: z.literal('save'),
    jobId,
    modelId,
    dir: z.string().min(1),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    type: z.literal('load'),
    jobId,
    modelId,
    dir: z.string().min(1),
    /**
     * SHA-256 (hex) of model.json and each weight file, by the name the manifest gives: the bytes
     * read are checked against them, so what was verified is what is loaded (code `conflict` if not).
     */
    digests: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)).optional(),
  }),
  z.strictObject({ type: z.literal('dispose'), jobId, modelId }),
  z.strictObject({ type: z.literal('memory'), jobId }),
  /** Asks a running job to stop; the job itself answers (with code `cancelled`). */
  z.strictObject({ type: z.literal('cancel'), jobId }),
]);

/** A request to the engine worker. */
export type EngineRequest = z.input<typeof requestSchema>;
/** A request after validation (defaults applied). */
export type ParsedRequest = z.output<typeof requestSchema>;

/** Progress of a job: training reports batches and epochs; predict/evaluate report batches. */
export const progressSchema = z.strictObject({
  phase: z.enum(['batch', 'epoch']),
  epoch: z.number().int().nonnegative(),
  epochs: z.number().int().nonnegative(),
  batch: z.number().int().nonnegative(),
  batches: z.number().int().nonnegative(),
  loss: z.number(),
  metrics: z.record(z.string(), z.number()),
  samplesPerSec: z.number().nonnegative(),
  etaMs: z.number().nonnegative(),
});

/** Progress of a job. */
export type EngineProgress = z.infer<typeof progressSchema>;

/** Error codes a job can fail with (a subset of the contract's codes). */
export const engineErrorCodeSchema = z.enum([
  'invalid-input',
  'not-found',
  'conflict',
  'cancelled',
  'unavailable',
  'internal',
]);
/** Why a job failed (see engineErrorCodeSchema). */
export type EngineErrorCode = z.infer<typeof engineErrorCodeSchema>;

/** Messages the worker sends. */
export const workerMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ready'), backend: backendInfoSchema }),
  z.strictObject({ type: z.literal('fatal'), message: z.string() }),
  z.strictObject({ type: z.literal('progress'), jobId, progress: progressSchema }),
  z.strictObject({ type: z.literal('result'), jobId, value: z.unknown() }),
  z.strictObject({ type: z.literal('error'), jobId, code: engineErrorCodeSchema, message: z.string() }),
]);

/** A message from the worker. */
export type WorkerMessage = z.infer<typeof workerMessageSchema>;

/** Result of a train job. */
export const trainResultSchema = z.strictObject({
  modelId,
  epochsCompleted: z.number().int().nonnegative(),
  bestEpoch: z.number().int().nonnegative(),
  history: z.record(z.string(), z.array(z.number())),
  samplesPerSec: z.number().nonnegative(),
  backend: z.string(),
});
/** Result of a predict job: the model's outputs for every input row. */
export const predictResultSchema = z.strictObject({ y: tensorDataSchema });
/** Result of an evaluate job. */
export const evaluateResultSchema = z.strictObject({
  loss: z.number(),
  accuracy: z.number().optional(),
  samples: z.number().int().nonnegative(),
});
/** Result of an explain job: attribution scores on the input grid (pixels, tokens, time steps x features). */
export const explainResultSchema = z.strictObject({
  method: z.string(),
  target: z.number().int(),
  attribution: tensorDataSchema,
});
/** Result of a save/load/dispose job. */
export const modelResultSchema = z.strictObject({ modelId, spec: modelSpecSchema.nullable() });
/** Result of a memory query. */
export const memoryResultSchema = z.strictObject({ numTensors: z.number().int(), numBytes: z.number().int() });

/** Result schemas per request type. */
export const resultSchemas = {
  train: trainResultSchema,
  predict: predictResultSchema,
  evaluate: evaluateResultSchema,
  explain: explainResultSchema,
  save: modelResultSchema,
  load: modelResultSchema,
  dispose: modelResultSchema,
  memory: memoryResultSchema,
} as const;

/** Result types per request type. */
export type EngineResults = { [K in keyof typeof resultSchemas]: z.infer<(typeof resultSchemas)[K]> };

/** The typed arrays inside a message, to transfer rather than copy. */
export function transferablesOf(value: unknown, out: ArrayBuffer[] = [], depth = 0): ArrayBuffer[] {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  if (ArrayBuffer.isView(value)) {
    const buffer = value.buffer;
    // Only whole, unshared buffers can be transferred; views into larger buffers are copied.
    if (
      buffer instanceof ArrayBuffer &&
      value.byteOffset === 0 &&
      value.byteLength === buffer.byteLength &&
      !out.includes(buffer)
    )
      out.push(buffer);
    return out;
  }
  for (const v of Object.values(value)) transferablesOf(v, out, depth + 1);
  return out;
}
