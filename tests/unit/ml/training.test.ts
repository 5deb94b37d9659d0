import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bothBackends, maxRelDiff, randomValues, rng } from './backends.js';

/**
 * Tiny versions of the three model families train for a few Adam steps on wasm and on cpu from the
 * same weights and data; losses and final weights must agree. This exercises every forward and
 * gradient kernel those architectures reach, including the ones tfjs-backend-wasm lacks.
 */
type Family = { name: string; build: () => tf.LayersModel; x: () => tf.Tensor; y: () => tf.Tensor; loss: string };

function residualCnn(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2] });
  const stem = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tf.SymbolicTensor;
  let h = tf.layers.batchNormalization().apply(stem) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.add().apply([h, stem]) as tf.SymbolicTensor;
  h = tf.layers.activation({ activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.zeroPadding2d({ padding: 1 }).apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .separableConv2d({ filters: 6, kernelSize: 3, strides: 2, activation: 'tanh' })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({}).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function textModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: 20, outputDim: 6, inputLength: 7 }));
  m.add(tf.layers.bidirectional({ layer: tf.layers.lstm({ units: 5 }) as tf.RNN, mergeMode: 'concat' }));
  m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  return m;
}

function vitalsModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv1d({ inputShape: [10, 3], filters: 4, kernelSize: 3, padding: 'same', activation: 'elu' }));
  m.add(tf.layers.gru({ units: 5, returnSequences: true }));
  m.add(tf.layers.lstm({ units: 4 }));
  m.add(tf.layers.dense({ units: 2 }));
  return m;
}

const next = rng(2024);
const cnnX = randomValues(6 * 8 * 8 * 2, next);
const textX = Float32Array.from({ length: 6 * 7 }, () => Math.floor(next() * 20));
const vitalsX = randomValues(6 * 10 * 3, next);
const vitalsY = randomValues(6 * 2, next);
const labels = [0, 1, 2, 1, 0, 2];

const FAMILIES: Family[] = [
  {
    name: 'residual CNN (batchnorm, separable conv, bilinear upsampling)',
    build: residualCnn,
    x: () => tf.tensor4d(cnnX, [6, 8, 8, 2]),
    y: () => tf.oneHot(labels, 3),
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'Embedding + biLSTM text model',
    build: textModel,
    x: () => tf.tensor2d(textX, [6, 7]),
    y: () => tf.oneHot(labels, 3),
    loss: 'categoricalCrossentropy',
  },
  {
    name: 'Conv1D + GRU + LSTM vitals model',
    build: vitalsModel,
    x: () => tf.tensor3d(vitalsX, [6, 10, 3]),
    y: () => tf.tensor2d(vitalsY, [6, 2]),
    loss: 'meanSquaredError',
  },
];

async function train(backend: 'cpu' | 'wasm', family: Family, initial: Float32Array[], steps: number) {
  await tf.setBackend(backend);
  const model = family.build();
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(initial[i]!, w.shape)));
  model.compile({ optimizer: tf.train.adam(0.01), loss: family.loss });
  const x = family.x();
  const y = family.y();
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync()));
  const prediction = Float32Array.from((model.predict(x) as tf.Tensor).dataSync());
  tf.dispose([x, y]);
  model.dispose();
  return { losses, weights, prediction };
}

describe('tiny models train identically on wasm and cpu', () => {
  beforeAll(bothBackends);

  it.each(FAMILIES.map((f) => [f.name, f] as const))('%s', async (_name, family) => {
    await tf.setBackend('cpu');
    const probe = family.build();
    const init = rng(family.name.length);
    const initial = probe.weights.map((w) => {
      const v = randomValues(
        w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
        init,
      ).map((x) => x * 0.5);
      return w.name.includes('moving_variance') ? v.map((x) => Math.abs(x) + 0.5) : v;
    });
    probe.dispose();
    const cpu = await train('cpu', family, initial, 4);
    const wasm = await train('wasm', family, initial, 4);
    await tf.setBackend('wasm');
    expect(maxRelDiff(wasm.losses, cpu.losses)).toBeLessThanOrEqual(1e-4);
    // Loss must actually move: the optimiser saw real gradients.
    expect(cpu.losses[3]).toBeLessThan(cpu.losses[0]!);
    for (let i = 0; i < cpu.weights.length; i++)
      expect(maxRelDiff(wasm.weights[i]!, cpu.weights[i]!), `weight ${i}`).toBeLessThanOrEqual(1e-4);
    expect(maxRelDiff(wasm.prediction, cpu.prediction)).toBeLessThanOrEqual(1e-4);
  });
});
