import * as tf from '@tensorflow/tfjs';

/** Options of the recurrent vital-sign model. */
export interface VitalsGruOptions {
  /** Hourly bins per stay. */
  timeSteps: number;
  /** Inputs per bin (values, missingness masks, time since last seen). */
  features: number;
  /** `risk`: softmax over `outputs` classes; `forecast`: `outputs` values plus as many log-variances. */
  task: 'risk' | 'forecast';
  outputs: number;
  units?: number;
  seed?: number;
}

/**
 * Conv1D over bins, then a GRU. For `forecast` the head emits a mean and a log-variance per target
 * (a Gaussian), from which the prediction interval is read; train it with {@link gaussianNll}.
 */
export function buildVitalsGru(options: VitalsGruOptions): tf.LayersModel {
  const { timeSteps, features, task, outputs, units = 32, seed = 1 } = options;
  const m = tf.sequential({ name: `vitals_${task}` });
  m.add(
    tf.layers.conv1d({
      inputShape: [timeSteps, features],
      filters: units,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed }),
      name: 'conv',
    }),
  );
  m.add(
    tf.layers.gru({
      units,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 2 }),
      name: 'gru',
    }),
  );
  m.add(
    tf.layers.dense({
      units: task === 'risk' ? outputs : 2 * outputs,
      activation: task === 'risk' ? 'softmax' : 'linear',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
      name: task === 'risk' ? 'probabilities' : 'gaussian',
    }),
  );
  return m;
}

/** Gaussian negative log-likelihood for `[mean..., logVariance...]` predictions (constant dropped). */
export function gaussianNll(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const k = yTrue.shape[yTrue.shape.length - 1]!;
    const mean = yPred.slice([0, 0], [-1, k]);
    const logVar = yPred.slice([0, k], [-1, k]).clipByValue(-10, 10);
    return tf.mean(tf.add(logVar, tf.div(tf.squaredDifference(yTrue, mean), tf.exp(logVar))).mul(0.5));
  });
}
