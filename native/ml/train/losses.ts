import * as tf from '@tensorflow/tfjs';
import { gaussianNll } from '../models/vitalsGru.js';

/** How a model's output is scored. */
export type LossKind = 'categorical' | 'gaussian';

const EPS = 1e-7;

/**
 * Mean loss of a batch. `categorical`: cross-entropy of softmax probabilities against one-hot
 * targets, each sample weighted by its class weight when given; with `labelSmoothing` e the
 * targets are (1 - e) x one-hot + e / classes (the class weight still follows the true class).
 * `gaussian`: negative log-likelihood of [mean, logVariance] outputs.
 */
export function batchLoss(
  kind: LossKind,
  yTrue: tf.Tensor,
  yPred: tf.Tensor,
  classWeights?: readonly number[],
  labelSmoothing = 0,
): tf.Scalar {
  return tf.tidy(() => {
    if (kind === 'gaussian') return gaussianNll(yTrue, yPred) as tf.Scalar;
    const k = yTrue.shape[yTrue.rank - 1]!;
    const target = labelSmoothing > 0 ? tf.add(tf.mul(yTrue, 1 - labelSmoothing), labelSmoothing / k) : yTrue;
    const perSample = tf.neg(tf.sum(tf.mul(target, tf.log(tf.clipByValue(yPred, EPS, 1 - EPS))), -1));
    if (classWeights === undefined) return tf.mean(perSample) as tf.Scalar;
    const w = tf.sum(tf.mul(yTrue, tf.tensor1d([...classWeights])), -1);
    return tf.div(tf.sum(tf.mul(perSample, w)), tf.maximum(tf.sum(w), EPS)) as tf.Scalar;
  });
}

/** Number of correct arg-max predictions in a batch (classification only). */
export function correctCount(yTrue: tf.Tensor, yPred: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(yTrue, -1), tf.argMax(yPred, -1)), 'int32')).dataSync()[0]!);
}
