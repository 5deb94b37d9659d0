import { z } from 'zod';
import { idSchema, userPathSchema } from './imaging.js';

/**
 * Models domain: the registry (versions, states, cards), training and fine-tuning runs with
 * progress events, prediction, explanation and evaluation. Every stored prediction references
 * the exact model version that made it.
 */

const count = z.number().int().nonnegative();
const finite = z.number().finite();
const modelName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'a model name is lower-case letters, digits and -');
const reason = z.string().trim().min(1, 'give a reason').max(2000);

/** What a model does. */
export const modelTaskSchema = z.enum(['image', 'text', 'vitals-risk', 'vitals-forecast']);
/** Registry state of a version: one active per model; candidates await evaluation; retired ones stay for rollback. */
export const modelStateSchema = z.enum(['active', 'candidate', 'retired']);

/** One version of a model. */
export const modelVersionSchema = z.strictObject({
  id: idSchema,
  name: z.string(),
  version: z.string(),
  state: modelStateSchema,
  createdAt: z.string(),
  createdBy: z.string(),
  /** Headline validation figures (accuracy, auc, macroF1, ece, mae ...). */
  metrics: z.record(z.string(), finite),
  /** The version it was fine-tuned from, if any. */
  parentVersion: z.string().nullable(),
  trainingRunId: idSchema.nullable(),
});

/** A model with its versions, newest first. */
export const modelSummarySchema = z.strictObject({
  name: z.string(),
  title: z.string(),
  task: modelTaskSchema,
  /** Class names (classifiers) or target names (forecasters). */
  outputs: z.array(z.string()),
  positiveClass: z.string().nullable(),
  activeVersionId: idSchema.nullable(),
  versions: z.array(modelVersionSchema),
});

/** One version in full: metadata as stored in its bundle and the rendered model card. */
export const modelDetailSchema = z.strictObject({
  summary: modelSummarySchema,
  version: modelVersionSchema,
  /**
   * The bundle's metadata.json (input specification, preprocessing, hyper-parameters, metrics ...),
   * with a text vocabulary and per-feature weights replaced by their sizes (`input.vocabularySize`,
   * `spec.featureWeightCount`).
   */
  metadata: z.record(z.string(), z.unknown()),
  /** CARD.md (markdown). */
  card: z.string(),
});

/** Picks a model version: an explicit version id, or the active version of a named model. */
export const modelRefSchema = z.union([z.strictObject({ versionId: idSchema }), z.strictObject({ name: modelName })]);

/** A case-store item a model can run on. */
export const predictionTargetSchema = z.strictObject({
  kind: z.enum(['note', 'series', 'instance', 'recording']),
  id: idSchema,
});

/** Where training/evaluation data comes from: labels in the case store, or a folder/file on disk. */
export const dataSourceSchema = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('store'),
    /** Label task whose current labels are the targets (e.g. `condition`, `hemorrhage`). */
    labelTask: z.string().min(1).max(100),
  }),
  z.strictObject({
    source: z.literal('path'),
    path: userPathSchema,
    textCol: z.string().max(200).optional(),
    labelCol: z.string().max(200).optional(),
  }),
]);

/** Hyper-parameters of a training run; defaults come from the model family. */
export const trainSettingsSchema = z.strictObject({
  epochs: z.number().int().positive().max(500).optional(),
  batchSize: z.number().int().positive().max(1024).optional(),
  learningRate: z.number().positive().max(1).optional(),
  seed: z.number().int().optional(),
  /** Fraction of patients held out for validation (split by patient, stratified). */
  validationFraction: z.number().min(0.05).max(0.5).optional(),
  patience: z.number().int().nonnegative().max(100).optional(),
  /** New image models: input size in pixels (square). */
  imageSize: z.number().int().min(16).max(512).optional(),
  /** New image models: window (modality units, e.g. HU) DICOM slices are shown to the model with. */
  dicomWindow: z.strictObject({ center: finite, width: finite.positive() }).optional(),
});

/** Input of `models.train`: fine-tune a model (from its active version) or train a new one. */
export const trainInputSchema = z.strictObject({
  /** Existing model to fine-tune, or the name for a new one. */
  name: modelName,
  /** Required for a new model; must match for an existing one. */
  task: modelTaskSchema.optional(),
  data: dataSourceSchema,
  /** Separate validation data (same layout); when absent, patients are split off `data`. */
  validation: dataSourceSchema.optional(),
  settings: trainSettingsSchema.default({}),
  /** Start from the active version's weights (default when the model exists). */
  fineTune: z.boolean().optional(),
});

/** A training run. */
export const trainingRunSchema = z.strictObject({
  id: idSchema,
  name: z.string(),
  status: z.enum(['running', 'succeeded', 'failed', 'cancelled']),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  error: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  /** Per-epoch curves (loss, valLoss, accuracy ...) and final metrics once finished. */
  metrics: z.record(z.string(), z.unknown()).nullable(),
  /** The candidate version it produced. */
  versionId: idSchema.nullable(),
});

/** Progress of a training run (also the engine's progress for predict/evaluate batches). */
export const trainingProgressSchema = z.strictObject({
  runId: idSchema,
  phase: z.enum(['preparing', 'batch', 'epoch', 'evaluating', 'saving', 'done', 'failed', 'cancelled']),
  epoch: count,
  epochs: count,
  batch: count,
  batches: count,
  loss: finite,
  metrics: z.record(z.string(), finite),
  samplesPerSec: finite.nonnegative(),
  etaMs: finite.nonnegative(),
  /** Set when phase is done/failed/cancelled. */
  versionId: idSchema.nullable(),
  message: z.string().nullable(),
});

/** A stored prediction, with the model version that made it. */
export const predictionSchema = z.strictObject({
  id: idSchema,
  modelVersionId: idSchema,
  modelName: z.string(),
  modelVersion: z.string(),
  targetKind: z.enum(['instance', 'series', 'study', 'note', 'recording']),
  targetId: idSchema,
  /** Output names in order of `probabilities` / `values`. */
  outputs: z.array(z.string()),
  /** Classifiers: calibrated class probabilities. */
  probabilities: z.array(finite).nullable(),
  /** Predicted class (classifiers). */
  predicted: z.string().nullable(),
  /** Forecasters: point forecasts with interval bounds, per output. */
  values: z.array(z.strictObject({ mean: finite, low: finite, high: finite })).nullable(),
  /** Series: per-slice scores in slice order (instance ids alongside). */
  slices: z.array(z.strictObject({ instanceId: idSchema, score: finite })).nullable(),
  /** Worklist priority. */
  score: finite.nullable(),
  createdAt: z.string(),
});

/** Token attributions for a note: tokens in text order with a signed score each. */
export const tokenAttributionSchema = z.strictObject({
  kind: z.literal('tokens'),
  tokens: z.array(z.strictObject({ text: z.string(), start: count, end: count, score: finite })),
});

/** A heatmap on the source pixel grid of one image (Grad-CAM), values 0..1. */
export const heatmapAttributionSchema = z.strictObject({
  kind: z.literal('heatmap'),
  instanceId: idSchema,
  rows: count,
  columns: count,
  values: z.custom<Float32Array>((v) => v instanceof Float32Array, { message: 'expected a Float32Array' }),
});

/** Per-time-step attributions over a recording (sum over variables), with the step times. */
export const stepAttributionSchema = z.strictObject({
  kind: z.literal('steps'),
  stepStartsMs: z.array(finite),
  stepHours: finite,
  scores: z.array(finite),
  /** Variables ranked by total absolute attribution. */
  variables: z.array(z.strictObject({ name: z.string(), score: finite })),
});

/** Answer of `explain.run`. */
export const explanationSchema = z.strictObject({
  modelVersionId: idSchema,
  method: z.string(),
  /** Output explained (class name or target). */
  output: z.string(),
  attribution: z.discriminatedUnion('kind', [tokenAttributionSchema, heatmapAttributionSchema, stepAttributionSchema]),
});

/** Evaluation report of one model version on one data set (figures as the eval module defines them). */
export const evaluationSchema = z.strictObject({
  modelVersionId: idSchema,
  n: count,
  /** Flat headline figures: accuracy, auc, aucLow, aucHigh, macroF1, prAuc, ece, logLoss, brier / mae, rmse, coverage. */
  summary: z.record(z.string(), finite),
  /** The full report (per-class metrics, confusion matrix, reliability bins, ROC curve points). */
  report: z.record(z.string(), z.unknown()),
});

/** Answer of `models.compare`: candidate and reference evaluated on the same held-out cases. */
export const comparisonSchema = z.strictObject({
  heldOut: count,
  candidate: evaluationSchema,
  reference: evaluationSchema,
  /** Plain-language verdict, e.g. "The candidate is better: AUC 0.91 vs 0.88 ...". */
  verdict: z.string(),
  better: z.boolean(),
});

/** One item of the review queue: an unlabelled case the model is least sure about. */
export const reviewItemSchema = z.strictObject({
  target: predictionTargetSchema,
  /** Title to show (note title, series description, recording title). */
  title: z.string(),
  patientKey: z.string().nullable(),
  predicted: z.string(),
  probabilities: z.array(finite),
  /** 1 - (top probability - second probability): 1 = a coin toss, 0 = certain. */
  uncertainty: finite,
});

/** Every models-domain channel. */
export const modelChannels = {
  /** Models in the registry, with their versions. */
  'models.list': { input: z.strictObject({ task: modelTaskSchema.optional() }), output: z.array(modelSummarySchema) },
  /** One version with its metadata and card. */
  'models.get': { input: modelRefSchema, output: modelDetailSchema },
  /** Starts a training or fine-tuning run in the engine worker; progress arrives as `models.trainingProgress`. */
  'models.train': { input: trainInputSchema, output: trainingRunSchema },
  /** Cancels a running training run (stops within one batch). */
  'models.cancel': { input: z.strictObject({ runId: idSchema }), output: trainingRunSchema },
  /** Training runs, newest first. */
  'models.runs': {
    input: z.strictObject({ name: modelName.optional(), limit: z.number().int().positive().max(500).default(50) }),
    output: z.array(trainingRunSchema),
  },
  /** Makes a version the active one (the previous active is retired); audited with the reason. */
  'models.promote': { input: z.strictObject({ versionId: idSchema, reason }), output: modelSummarySchema },
  /** Retires a candidate without promoting it; audited with the reason. */
  'models.discard': { input: z.strictObject({ versionId: idSchema, reason }), output: modelSummarySchema },
  /** Re-activates an earlier version (default: the most recent retired one); audited. */
  'models.rollback': {
    input: z.strictObject({ name: modelName, toVersionId: idSchema.optional(), reason }),
    output: modelSummarySchema,
  },
  /** Imports a bundle folder (tfjs Layers model.json + weights + metadata.json) as a candidate. */
  'models.import': { input: z.strictObject({ path: userPathSchema }), output: modelVersionSchema },
  /** Exports a version as a bundle folder with its card, optionally with quantized weights. */
  'models.export': {
    input: z.strictObject({
      versionId: idSchema,
      /** Folder name under the data folder's `exports/` (the CLI can export anywhere). */
      dest: z
        .string()
        .min(1)
        .max(200)
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an export folder name is letters, digits, . _ and -'),
      quantize: z.enum(['none', 'float16', 'uint8']).default('none'),
      /** Labelled data to measure the metric change of quantization on (the model's validation layout). */
      validation: dataSourceSchema.optional(),
    }),
    output: z.strictObject({
      path: z.string(),
      bytes: count,
      originalBytes: count,
      /** Validation metric change from quantization (quantized minus original), when measurable. */
      metricChange: z.record(z.string(), finite).nullable(),
    }),
  },
  /** Evaluates a candidate and the active (or given) version on the same held-out cases. */
  'models.compare': {
    input: z.strictObject({ candidateVersionId: idSchema, referenceVersionId: idSchema.optional() }),
    output: comparisonSchema,
  },
  /** Runs a model on a case-store item and stores the prediction. */
  'predict.run': {
    input: z.strictObject({ model: modelRefSchema, target: predictionTargetSchema }),
    output: predictionSchema,
  },
  /** Explains a model's output on an item (tokens, Grad-CAM heatmap of one slice, time steps). */
  'explain.run': {
    input: z.strictObject({
      model: modelRefSchema,
      target: predictionTargetSchema,
      /** Output to explain; defaults to the predicted class. */
      output: z.string().max(200).optional(),
    }),
    output: explanationSchema,
  },
  /** Evaluates a version on labelled store data or a folder/file in its training layout. */
  'evaluate.run': {
    input: z.strictObject({ model: modelRefSchema, data: dataSourceSchema }),
    output: evaluationSchema,
  },
  /** Stored predictions for an item, newest first. */
  'predictions.list': { input: predictionTargetSchema, output: z.array(predictionSchema) },
  /**
   * Active learning: items with no current label for `labelTask`, ranked by the model's
   * uncertainty (most uncertain first), so the next label a clinician gives is the most useful.
   */
  'models.reviewQueue': {
    input: z.strictObject({
      model: modelRefSchema,
      labelTask: z.string().min(1).max(100),
      limit: z.number().int().positive().max(200).default(20),
      /** How many unlabelled items to score at most (newest first). */
      scan: z.number().int().positive().max(5000).default(500),
    }),
    output: z.array(reviewItemSchema),
  },
} as const;

/** Every models-domain event. */
export const modelEvents = {
  /** Progress of a training run, then one final done/failed/cancelled report. */
  'models.trainingProgress': trainingProgressSchema,
} as const;
