import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { buildImageResnet } from './imageResnet.js';
import { buildTextBag } from './textBag.js';
import { buildTextBilstm } from './textBilstm.js';
import { buildVitalsGru } from './vitalsGru.js';
import { buildVitalsHybrid } from './vitalsHybrid.js';

const positive = z.number().int().positive();
/**
 * How the towers of an averaged ensemble learn: `joint` (default) minimises the loss of the averaged
 * probabilities, so the towers co-adapt into one wider network; `independent` minimises the mean of
 * each tower's own loss, so every tower is trained as a network of its own and the average is a true
 * ensemble (the towers share no weights, so each tower's gradient is exactly its own network's).
 */
const towerTraining = z.enum(['joint', 'independent']);

/** A model architecture and its hyper-parameters; every model the engine builds is one of these. */
export const modelSpecSchema = z.discriminatedUnion('family', [
  z.strictObject({
    family: z.literal('image-resnet'),
    inputShape: z.tuple([positive, positive, positive]),
    classes: positive,
    width: positive.optional(),
    stages: positive.max(5).optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({
    family: z.literal('text-bilstm'),
    vocabSize: positive,
    sequenceLength: positive,
    classes: positive,
    embeddingDim: positive.optional(),
    units: positive.optional(),
    bidirectional: z.boolean().optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({
    family: z.literal('text-bag'),
    vocabSize: positive,
    sequenceLength: positive,
    classes: positive,
    embeddingDim: positive.optional(),
    hidden: z.number().int().nonnegative().optional(),
    featureDropout: z.number().min(0).max(0.9).optional(),
    pooling: z.enum(['mean', 'sqrt', 'l2']).optional(),
    countBase: z.number().int().min(0).max(64).optional(),
    featureWeights: z.array(z.number().finite()).optional(),
    towers: z.number().int().min(1).max(16).optional(),
    towerTraining: towerTraining.optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({
    family: z.literal('vitals-gru'),
    timeSteps: positive,
    features: positive,
    task: z.enum(['risk', 'forecast']),
    outputs: positive,
    units: positive.optional(),
    seed: z.number().int().optional(),
  }),
  z.strictObject({
    family: z.literal('vitals-hybrid'),
    timeSteps: positive,
    features: positive,
    summaryRows: positive,
    classes: positive,
    branches: z.enum(['both', 'sequence', 'summary']).optional(),
    units: positive.optional(),
    hidden: positive.optional(),
    towers: positive.max(16).optional(),
    towerTraining: towerTraining.optional(),
    dropout: z.number().min(0).max(0.9).optional(),
    seed: z.number().int().optional(),
  }),
]);

/** A model architecture and its hyper-parameters. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;

/** True when a spec's towers are trained each on its own loss (see `towerTraining`). */
export function trainsTowersIndependently(spec: ModelSpec): boolean {
  return 'towerTraining' in spec && spec.towerTraining === 'independent' && (spec.towers ?? 1) > 1;
}

/** Builds the (untrained) model a spec describes. */
export function buildModel(spec: ModelSpec): tf.LayersModel {
  switch (spec.family) {
    case 'image-resnet':
      return buildImageResnet(spec);
    case 'text-bilstm':
      return buildTextBilstm(spec);
    case 'text-bag':
      return buildTextBag(spec);
    case 'vitals-gru':
      return buildVitalsGru(spec);
    case 'vitals-hybrid':
      return buildVitalsHybrid(spec);
  }
}

/** Whether the spec's output is a class distribution (classification) rather than a regression. */
export function isClassifier(spec: ModelSpec): boolean {
  return spec.family !== 'vitals-gru' || spec.task === 'risk';
}
