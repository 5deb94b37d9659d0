import { z } from 'zod';
import { modelTaskSchema } from '../contract/models.js';
import { modelSpecSchema } from './models/index.js';

/**
 * A model bundle: one folder holding a tfjs Layers model (`model.json` + `weights.bin`), its
 * metadata (`metadata.json`, this schema) and a human-readable model card (`CARD.md`). Shipped
 * starter models, models trained on site, imported Keras models and exported models all use it,
 * so the registry, `osler predict/evaluate` and the app read every model the same way.
 */

/** Bundle format marker; bumped only with a migration of older bundles. */
export const BUNDLE_FORMAT = 'osler-model/1';
/** File names inside a bundle folder. */
export const BUNDLE_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  metadata: 'metadata.json',
  card: 'CARD.md',
  /** Optional: which items a starter model was trained and validated on. */
  split: 'split.json',
};

export { modelTaskSchema };
/** What a model does; decides the data layouts it reads and the preprocessing it needs. */
export type ModelTask = z.infer<typeof modelTaskSchema>;

const finite = z.number().finite();

/**
 * How raw inputs become the model's input tensor, per task: everything `predict`/`evaluate` need to
 * encode a new input exactly as the training data was encoded.
 */
export const inputSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('image'),
    /** Model input size in pixels; sources are resized (bilinear) to it. */
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    channels: z.number().int().positive(),
    /** PNG/JPEG grey levels are divided by this (255 -> inputs in 0..1) before mean/std. */
    scale: finite.positive(),
    mean: finite,
    std: finite.positive(),
    /**
     * DICOM inputs: one window (centre/width on modality values, e.g. HU) per channel, mapped to
     * 0..1; absent for models that read the DICOM's own default window.
     */
    dicomWindows: z.array(z.strictObject({ center: finite, width: finite.positive() })).optional(),
    /** Modalities the model is meant for (e.g. CR, DX, CT); others are refused with a clear error. */
    modalities: z.array(z.string()).optional(),
  }),
  z.strictObject({
    kind: z.literal('text'),
    sequenceLength: z.number().int().positive(),
    /** Which end of a long note is kept, and where padding goes. */
    truncation: z.enum(['head', 'tail']),
    padding: z.enum(['pre', 'post']),
    /** Token id = index in this list; 0 = padding, 1 = unknown, 2 = number (see text/tokenizer.ts). */
    vocabulary: z.array(z.string()),
    lowercase: z.boolean(),
    /** Extra encoder settings a recipe needs (e.g. n-gram buckets), recorded verbatim. */
    options: z.record(z.string(), z.unknown()).optional(),
  }),
  z.strictObject({
    kind: z.literal('vitals'),
    /** Variables in feature order, e.g. HR, MAP, SysABP ... (PhysioNet 2012 parameter names). */
    variables: z.array(z.string()),
    /** Hours per time step and number of steps (e.g. 1 h x 48). */
    stepHours: finite.positive(),
    timeSteps: z.number().int().positive(),
    /** Per-variable normalisation fitted on the training split. */
    means: z.array(finite),
    stds: z.array(finite),
    /** Which per-step channels the model reads: values, missingness mask, time since last seen. */
    channels: z.array(z.enum(['value', 'mask', 'delta'])),
    /** Static inputs (age, sex, ...) appended per stay, when used. */
    statics: z.array(z.string()).optional(),
    /** Extra encoder settings a recipe needs, recorded verbatim. */
    options: z.record(z.string(), z.unknown()).optional(),
  }),
]);
/** How raw inputs become the model's input tensor. */
export type InputSpec = z.infer<typeof inputSpecSchema>;

/** A metric with an optional 95% confidence interval. */
export const metricValueSchema = z.union([finite, z.strictObject({ value: finite, ci95: z.tuple([finite, finite]) })]);

/** Model card fields (also rendered to CARD.md). */
export const cardSchema = z.strictObject({
  intendedUse: z.string(),
  dataSource: z.string(),
  licence: z.string(),
  attribution: z.string(),
  limitations: z.array(z.string()),
  /** Free-form extra sections (title -> markdown). */
  notes: z.record(z.string(), z.string()).optional(),
});

/** `metadata.json` of a bundle. */
export const bundleMetadataSchema = z
  .strictObject({
    format: z.literal(BUNDLE_FORMAT),
    /** Registry name (slug), e.g. `chest-xray-pneumonia`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
    /** Version label, unique per name (e.g. `1.0.0`, or `2026-11-28T16-02-11Z` for site fine-tunes). */
    version: z.string().min(1).max(64),
    title: z.string(),
    task: modelTaskSchema,
    /** Output names: class names for classifiers, target names for forecasters (e.g. `hr`, `map`). */
    outputs: z.array(z.string()).min(1),
    /** Binary classifiers: the class whose probability is the score (worklist priority). */
    positiveClass: z.string().optional(),
    /** Architecture, when built by Osler (absent for imported Keras models). */
    spec: modelSpecSchema.nullable(),
    input: inputSpecSchema,
    /** Softmax temperature (1 = none), fitted on held-out predictions (the card says which); applied to the model's log-probabilities. */
    temperature: finite.positive(),
    /**
     * Classifiers: per-class decision offsets added to the log-probabilities before the temperature,
     * softmax((log p + b) / T), fitted on out-of-fold predictions for macro-F1 (absent: none).
     */
    classOffsets: z.array(finite).optional(),
    /** Layer whose activations Grad-CAM uses (image models). */
    camLayer: z.string().optional(),
    /** Forecasters: central interval level the model's variance head is read at (e.g. 0.9). */
    intervalLevel: finite.optional(),
    /** Validation metrics (names as the evaluation report uses them). */
    metrics: z.record(z.string(), z.unknown()),
    trainingData: z.strictObject({
      source: z.string(),
      trainSize: z.number().int().nonnegative(),
      validationSize: z.number().int().nonnegative(),
      classCounts: z.record(z.string(), z.number().int().nonnegative()).optional(),
      split: z.string(),
    }),
    hyperParameters: z.record(z.string(), z.unknown()),
    card: cardSchema,
    parent: z.strictObject({ name: z.string(), version: z.string() }).nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    oslerVersion: z.string(),
    seed: z.number().int().optional(),
    trainingSeconds: finite.nonnegative().optional(),
  })
  .refine((m) => m.classOffsets === undefined || m.classOffsets.length === m.outputs.length, {
    message: 'classOffsets must have one offset per output',
    path: ['classOffsets'],
  });
/** `metadata.json` of a bundle. */
export type BundleMetadata = z.infer<typeof bundleMetadataSchema>;
