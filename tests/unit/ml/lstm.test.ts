import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { unsortedSegmentSumCpuConfig } from '../../../native/ml/kernels/unsortedSegmentSum.js';
import { FusedLstm } from '../../../native/ml/models/fusedLstm.js';
import { bothBackends, maxRelDiff, on, randomValues, rng } from './backends.js';

const TOL = 2e-5;

interface LstmCase {
  batch: number;
  steps: number;
  features: number;
  units: number;
  act: 'sigmoid' | 'hardSigmoid';
  returnSequences: boolean;
  bidirectional: boolean;
  seed: number;
}

const lstmCase: fc.Arbitrary<LstmCase> = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  // tfjs' own LSTM fails to differentiate a single step (its stack gradient); one step is tested below.
  steps: fc.integer({ min: 2, max: 7 }),
  features: fc.integer({ min: 1, max: 5 }),
  units: fc.integer({ min: 1, max: 6 }),
  act: fc.constantFrom('sigmoid', 'hardSigmoid'),
  returnSequences: fc.boolean(),
  bidirectional: fc.boolean(),
  seed: fc.nat(),
});

/** tfjs' own LSTM (wrapped in Bidirectional when asked) with the same configuration. */
function stockLstm(c: LstmCase): tf.layers.Layer {
  const lstm = tf.layers.lstm({ units: c.units, recurrentActivation: c.act, returnSequences: c.returnSequences });
  return c.bidirectional ? tf.layers.bidirectional({ layer: lstm as tf.RNN, mergeMode: 'concat' }) : lstm;
}

function fusedLstm(c: LstmCase): tf.layers.Layer {
  return new FusedLstm({
    units: c.units,
    recurrentActivation: c.act,
    returnSequences: c.returnSequences,
    bidirectional: c.bidirectional,
  });
}

/**
 * Output, and the gradients of a random projection of it with respect to the input and to every
 * weight, for `layer` with the weights `weights` on input `x`.
 */
function outputAndGradients(layer: tf.layers.Layer, c: LstmCase, weights: Float32Array[], x: tf.Tensor3D): tf.Tensor[] {
  layer.apply(tf.zeros([c.batch, c.steps, c.features]));
  const shapes = layer.getWeights().map((w) => w.shape);
  layer.setWeights(weights.map((w, i) => tf.tensor(w, shapes[i])));
  const y = layer.apply(x) as tf.Tensor;
  const next = rng(c.seed + 7);
  const projection = tf.tensor(randomValues(y.size, next), y.shape);
  const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, projection)) as tf.Scalar, vars);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(layer.apply(input) as tf.Tensor, projection)))(x);
  return [y, dx, ...vars.map((v) => grads[v.name]!)];
}

function caseWeights(c: LstmCase): Float32Array[] {
  const next = rng(c.seed);
  const directions = c.bidirectional ? 2 : 1;
  const G = 4 * c.units;
  const one = () => [
    randomValues(c.features * G, next),
    randomValues(c.units * G, next),
    randomValues(G, next).map((v) => v * 0.5),
  ];
  return Array.from({ length: directions }, one).flat();
}

describe('fused LSTM (kernels/lstm.ts, models/fusedLstm.ts)', () => {
  beforeAll(bothBackends);

  it('equals tfjs LSTM / Bidirectional(LSTM) in output, input gradient and every weight gradient, on wasm and cpu', async () => {
    await fc.assert(
      fc.asyncProperty(lstmCase, async (c) => {
        const weights = caseWeights(c);
        const xv = randomValues(c.batch * c.steps * c.features, rng(c.seed + 3)).map((v) => v * 2);
        const x = () => tf.tensor3d(xv, [c.batch, c.steps, c.features]);
        const reference = await on('cpu', () => outputAndGradients(stockLstm(c), c, weights, x()));
        for (const backend of ['wasm', 'cpu'] as const) {
          const ours = await on(backend, () => outputAndGradients(fusedLstm(c), c, weights, x()));
          expect(ours.length).toBe(reference.length);
          ours.forEach((v, i) => expect(maxRelDiff(v, reference[i]!), `${backend} tensor ${i}`).toBeLessThan(TOL));
        }
      }),
      { numRuns: 40, seed: 20261128 },
    );
  });

  it('matches at the issue benchmark size (128 steps, batch 32, 64 units) on wasm', async () => {
    const c: LstmCase = {
      batch: 32,
      steps: 128,
      features: 16,
      units: 64,
      act: 'sigmoid',
      returnSequences: false,
      bidirectional: false,
      seed: 5,
    };
    const weights = caseWeights(c).map((w) => w.map((v) => v * 0.3));
    const xv = randomValues(c.batch * c.steps * c.features, rng(9));
    const x = () => tf.tensor3d(xv, [c.batch, c.steps, c.features]);
    const reference = await on('wasm', () => outputAndGradients(stockLstm(c), c, weights, x()));
    const ours = await on('wasm', () => outputAndGradients(fusedLstm(c), c, weights, x()));
    ours.forEach((v, i) => expect(maxRelDiff(v, reference[i]!), `tensor ${i}`).toBeLessThan(1e-4));
  });

  it('saves and loads through the layers serialisation with identical predictions', async () => {
    const build = () => {
      const m = tf.sequential();
      m.add(tf.layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 12 }));
      m.add(new FusedLstm({ units: 6, bidirectional: true, seed: 3 }));
      m.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
      return m;
    };
    const m = build();
    const x = tf.tensor2d(
      Array.from({ length: 24 }, (_, i) => (i * 7) % 50),
      [2, 12],
    );
    const before = (m.predict(x) as tf.Tensor).dataSync();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await m.save(tf.io.withSaveHandler(async (a) => ((artifacts = a), { modelArtifactsInfo: {} as never })));
    const topology = JSON.stringify(artifacts!.modelTopology);
    expect(topology).toContain('OslerFusedLstm');
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));
    const after = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(maxRelDiff(after, before)).toBeLessThan(1e-6);
    tf.dispose([x]);
    m.dispose();
    loaded.dispose();
  });

  it('trains (the loss falls on a learnable task) without leaving tensors behind', async () => {
    await tf.setBackend('wasm');
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: 20, outputDim: 8, inputLength: 10 }));
    m.add(new FusedLstm({ units: 8, seed: 1 }));
    m.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
    m.compile({ optimizer: tf.train.adam(0.02), loss: 'categoricalCrossentropy' });
    // Class = whether token 1 occurs anywhere: needs memory across steps.
    const next = rng(11);
    const rows = Array.from({ length: 64 }, () => Array.from({ length: 10 }, () => 2 + Math.floor(next() * 18)));
    const labels = rows.map((r, i) => {
      if (i % 2 === 0) r[Math.floor(next() * 10)] = 1;
      return i % 2 === 0 ? 1 : 0;
    });
    const xs = tf.tensor2d(rows);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 2);
    const first = (await m.trainOnBatch(xs, ys)) as number;
    const tensors = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 60; i++) last = (await m.trainOnBatch(xs, ys)) as number;
    expect(tf.memory().numTensors).toBe(tensors);
    expect(last).toBeLessThan(first * 0.5);
    tf.dispose([xs, ys]);
    m.dispose();
  });

  it('a single step is o·tanh(i·c) from x·W + b, with its gradient, on wasm and cpu', async () => {
    const H = 3;
    const next = rng(4);
    const w = randomValues(2 * 4 * H, next);
    const u = randomValues(H * 4 * H, next);
    const b = randomValues(4 * H, next);
    const xv = randomValues(2 * 2, next);
    const manual = (x: tf.Tensor2D) => {
      const z = tf.add(tf.matMul(x, tf.tensor2d(w, [2, 4 * H])), tf.tensor1d(b));
      const [i, , c, o] = tf.split(z, 4, 1);
      return tf.mul(tf.sigmoid(o!), tf.tanh(tf.mul(tf.sigmoid(i!), tf.tanh(c!))));
    };
    const fused = (x: tf.Tensor2D) => {
      const layer = new FusedLstm({ units: H });
      layer.apply(tf.zeros([2, 1, 2]));
      layer.setWeights([tf.tensor2d(w, [2, 4 * H]), tf.tensor2d(u, [H, 4 * H]), tf.tensor1d(b)]);
      return layer.apply(x.reshape([2, 1, 2])) as tf.Tensor;
    };
    const x = () => tf.tensor2d(xv, [2, 2]);
    const expected = await on('cpu', () => [
      manual(x()),
      tf.grad((v: tf.Tensor) => tf.sum(manual(v as tf.Tensor2D)))(x()),
    ]);
    for (const backend of ['wasm', 'cpu'] as const) {
      const got = await on(backend, () => [
        fused(x()),
        tf.grad((v: tf.Tensor) => tf.sum(fused(v as tf.Tensor2D)))(x()),
      ]);
      got.forEach((v, i) => expect(maxRelDiff(v, expected[i]!), `${backend} ${i}`).toBeLessThan(1e-5));
    }
  });

  it('refuses a non-3D input with a clear error', () => {
    const layer = new FusedLstm({ units: 4 });
    expect(() => layer.apply(tf.zeros([2, 3]))).toThrow(/batch, steps, features/);
  });
});

describe('wasm fast paths used by text training (GatherV2 rows, leading-axis Sum, shared Identity)', () => {
  beforeAll(bothBackends);

  it('GatherV2 of rows equals the cpu backend for float32 and int32 tables and any index shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 2 }),
        fc.constantFrom('float32', 'int32'),
        fc.nat(),
        async (rows, rowShape, indexShape, dtype, seed) => {
          const next = rng(seed);
          const table = randomValues(rows * rowShape.reduce((a, b) => a * b, 1), next).map((v) =>
            dtype === 'int32' ? Math.round(v * 100) : v,
          );
          const count = indexShape.reduce((a, b) => a * b, 1);
          const ids = Int32Array.from({ length: count }, () => Math.floor(next() * rows));
          const run = () =>
            tf.gather(tf.tensor(table, [rows, ...rowShape], dtype), tf.tensor(ids, indexShape, 'int32'));
          const [cpu] = await on('cpu', run);
          const [wasm] = await on('wasm', run);
          expect(Array.from(wasm!)).toEqual(Array.from(cpu!));
        },
      ),
      { numRuns: 60, seed: 7 },
    );
  });

  it('GatherV2 with an out-of-range index fails with a message naming it and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const table = tf.ones([4, 3]);
    const before = tf.memory().numTensors;
    const ids = tf.tensor1d([0, 4], 'int32');
    expect(() => tf.gather(table, ids)).toThrow(/index value 4 is not in \[0, 3\]/);
    ids.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Other axes still take the stock kernel.
    const [cols] = await on('wasm', () => tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]), [2, 0], 1));
    expect(Array.from(cols!)).toEqual([3, 1, 6, 4]);
    table.dispose();
  });

  it('Sum over leading axes equals the cpu backend (any rank, keepDims), and other sums are unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.nat(4),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        async (shape, k, keepDims, inner, seed) => {
          const size = shape.reduce((a, b) => a * b, 1);
          const values = randomValues(size, rng(seed));
          const rank = shape.length;
          const axes = inner ? [rank - 1] : Array.from({ length: Math.max(1, Math.min(k, rank)) }, (_, i) => i);
          const run = () => tf.sum(tf.tensor(values, shape), axes, keepDims);
          const [cpu] = await on('cpu', run);
          const [wasm] = await on('wasm', run);
          expect(maxRelDiff(wasm!, cpu!)).toBeLessThan(1e-5);
          const shapeOf = await (async () => {
            await tf.setBackend('wasm');
            const t = run();
            const s = t.shape;
            t.dispose();
            return s;
          })();
          expect(shapeOf).toEqual(
            keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i)),
          );
        },
      ),
      { numRuns: 80, seed: 3 },
    );
  });

  it('Identity shares memory safely: a clone outlives its source and keeps its values', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const y = tf.clone(x);
    // Shared, not copied: the clone points at the same backend data.
    const dataId = (t: tf.Tensor) => (t as unknown as { dataId: object }).dataId;
    expect(dataId(y)).toBe(dataId(x));
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    const v = tf.variable(y);
    const update = tf.tensor1d([7, 8, 9]);
    v.assign(update);
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(v.dataSync())).toEqual([7, 8, 9]);
    tf.dispose([y, update]);
    v.dispose();
    // String tensors live in JS, not the wasm heap: the stock kernel clones them.
    const words = tf.tensor1d(['a', 'b'], 'string');
    const copy = tf.clone(words);
    words.dispose();
    expect(copy.dataSync()).toEqual(['a', 'b']);
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the cpu UnsortedSegmentSum (installed when cpu is the selected backend) equals a direct sum, dropping out-of-range ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom('float32', 'int32'),
        fc.nat(),
        async (rows, inner, segments, dtype, seed) => {
          const next = rng(seed);
          const x = randomValues(rows * inner, next).map((v) => (dtype === 'int32' ? Math.round(v * 50) : v));
          const ids = Int32Array.from({ length: rows }, () => Math.floor(next() * (segments + 2)) - 1);
          const expected = new Float64Array(segments * inner);
          ids.forEach((s, i) => {
            if (s >= 0 && s < segments) for (let j = 0; j < inner; j++) expected[s * inner + j]! += x[i * inner + j]!;
          });
          await tf.setBackend('cpu');
          const xt = tf.tensor(x, [rows, inner], dtype);
          const it = tf.tensor1d(ids, 'int32');
          const info = (unsortedSegmentSumCpuConfig.kernelFunc as (a: unknown) => tf.TensorInfo)({
            inputs: { x: xt, segmentIds: it },
            backend: tf.findBackend('cpu'),
            attrs: { numSegments: segments },
          });
          const out = tf.engine().makeTensorFromTensorInfo(info);
          expect(out.shape).toEqual([segments, inner]);
          expect(maxRelDiff(out.dataSync(), expected)).toBeLessThan(1e-6);
          tf.dispose([xt, it, out]);
          await tf.setBackend('wasm');
        },
      ),
      { numRuns: 40, seed: 13 },
    );
  });
});
