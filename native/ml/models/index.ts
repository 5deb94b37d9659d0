import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { buildImageResnet } from './imageResnet.js';
import { buildTextBag } from './textBag.js';
import { buildTextBilstm } from './textBilstm.js';
import { buildVitalsGru } from './vitalsGru.js';
import { buildVitalsHybrid } from './vitalsHybrid.js';

const positive = z.number().int().positive();

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
    dropout: z.number().min(0).max(0.9).optional(),
    seed: z.number().int().optional(),
  }),
]);

/** A model architecture and its hyper-parameters. */
export type ModelSpec = z.infer<typeof modelSpecSchema>;

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
