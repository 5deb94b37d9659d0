import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { trainOptionsSchema } from '../../../native/ml/engine/protocol.js';
import { batchLoss } from '../../../native/ml/train/losses.js';

const yTrue = [
  [1, 0, 0],
  [0, 1, 0],
];
const yPred = [
  [0.7, 0.2, 0.1],
  [0.3, 0.3, 0.4],
];
const ce = (target: number[], pred: number[]) => -target.reduce((s, t, c) => s + t * Math.log(pred[c]!), 0);

function loss(weights?: number[], smoothing?: number): number {
  return tf.tidy(() =>
    batchLoss('categorical', tf.tensor2d(yTrue), tf.tensor2d(yPred), weights, smoothing).arraySync(),
  );
}

describe('categorical batch loss', () => {
  it('is the class-weighted mean cross-entropy against one-hot targets', () => {
    const l1 = ce(yTrue[0]!, yPred[0]!);
    const l2 = ce(yTrue[1]!, yPred[1]!);
    expect(loss()).toBeCloseTo((l1 + l2) / 2, 5);
    expect(loss([2, 1, 1])).toBeCloseTo((2 * l1 + l2) / 3, 5);
  });

  it('smooths targets to (1 - e) one-hot + e / k, weighting each sample by its true class', () => {
    const e = 0.3;
    const smooth = yTrue.map((row) => row.map((v) => v * (1 - e) + e / 3));
    const l1 = ce(smooth[0]!, yPred[0]!);
    const l2 = ce(smooth[1]!, yPred[1]!);
    expect(loss(undefined, e)).toBeCloseTo((l1 + l2) / 2, 5);
    expect(loss([2, 1, 1], e)).toBeCloseTo((2 * l1 + l2) / 3, 5);
    expect(loss(undefined, 0)).toBeCloseTo(loss(), 6);
  });

  it('takes label smoothing in [0, 0.5) across the engine boundary', () => {
    const base = { epochs: 1, batchSize: 8, learningRate: 0.01, seed: 1 };
    expect(trainOptionsSchema.safeParse({ ...base, labelSmoothing: 0.1 }).success).toBe(true);
    expect(trainOptionsSchema.safeParse({ ...base, labelSmoothing: 0.5 }).success).toBe(false);
    expect(trainOptionsSchema.safeParse({ ...base, labelSmoothing: -0.1 }).success).toBe(false);
  });
});
