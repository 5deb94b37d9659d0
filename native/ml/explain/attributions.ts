import * as tf from '@tensorflow/tfjs';

/** The class (output index) a model predicts for a single sample. */
export function predictedClass(model: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => (tf.argMax((model.predict(x) as tf.Tensor).reshape([-1])) as tf.Scalar).dataSync()[0]!);
}

function layersAfter(model: tf.LayersModel, name: string): tf.layers.Layer[] {
  const at = model.layers.findIndex((l) => l.name === name);
  if (at < 0) throw new Error(`layer ${name} not found`);
  return model.layers.slice(at + 1);
}

function applyChain(layers: readonly tf.layers.Layer[], x: tf.Tensor): tf.Tensor {
  return layers.reduce((h, layer) => layer.apply(h) as tf.Tensor, x);
}

/**
 * Integrated gradients (Sundararajan et al. 2017) of output `target` along the straight path from a
 * zero baseline, by the trapezoid rule over `steps` intervals. For a model starting with an
 * Embedding layer the path runs in embedding space and the scores are summed per token; otherwise
 * the attribution has the input's shape (pixels, or time steps x features). Scores add up to
 * f(x) - f(baseline) up to the integration error.
 */
export function integratedGradients(model: tf.LayersModel, x: tf.Tensor, target: number, steps = 32): tf.Tensor {
  return tf.tidy(() => {
    const first = model.layers[0]!;
    const isText = first.getClassName() === 'Embedding';
    const start = isText ? (first.apply(x) as tf.Tensor) : x.toFloat();
    const rest = isText ? model.layers.slice(1) : null;
    const f = (input: tf.Tensor) => {
      const out = rest === null ? (model.apply(input) as tf.Tensor) : applyChain(rest, input);
      return out.gather([target], 1).sum();
    };
    // All path points in one batch: alphas 0, 1/steps, ..., 1.
    const alphas = tf.linspace(0, 1, steps + 1).reshape([steps + 1, ...start.shape.slice(1).map(() => 1)]);
    const path = tf.mul(alphas, start);
    const grads = tf.grad(f)(path);
    const w = new Float32Array(steps + 1).fill(1 / steps);
    w[0] = 0.5 / steps;
    w[steps] = 0.5 / steps;
    const avg = tf.sum(tf.mul(grads, tf.tensor(w).reshape(alphas.shape)), 0, true);
    const attribution = tf.mul(start, avg);
    return isText ? attribution.sum(-1) : attribution;
  });
}

/**
 * Occlusion along axis 1 (tokens, or time steps): each position in turn is replaced by zero (the
 * padding token, or the normalised mean) and the score is the drop of output `target`.
 */
export function occlusion(model: tf.LayersModel, x: tf.Tensor, target: number): tf.Tensor {
  return tf.tidy(() => {
    const n = x.shape[1]!;
    const base = (model.predict(x) as tf.Tensor).gather([target], 1).reshape([]);
    const eye = tf.oneHot(tf.range(0, n, 1, 'int32'), n).reshape([n, n, ...x.shape.slice(2).map(() => 1)]);
    const variants = tf.mul(tf.sub(1, eye), x.toFloat()).cast(x.dtype);
    const scores = (model.predict(variants) as tf.Tensor).gather([target], 1).reshape([n]);
    return tf.sub(base, scores).reshape([1, n]);
  });
}

/**
 * Grad-CAM (Selvaraju et al. 2017) at layer `layerName`, whose successors must form a chain (as in
 * the compact ResNet: pooling, then the dense head). Returns the ReLU'd class-activation map,
 * normalised to [0, 1], at the layer's resolution [1, h, w].
 */
export function gradCam(model: tf.LayersModel, x: tf.Tensor, target: number, layerName: string): tf.Tensor {
  return tf.tidy(() => {
    const layer = model.getLayer(layerName);
    const features = tf
      .model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor })
      .predict(x) as tf.Tensor4D;
    const head = layersAfter(model, layerName);
    const grads = tf.grad((f: tf.Tensor) => applyChain(head, f).gather([target], 1).sum())(features);
    const weights = tf.mean(grads, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(features, weights), -1));
    const max = tf.max(cam);
    return tf.div(cam, tf.maximum(max, 1e-12));
  });
}
