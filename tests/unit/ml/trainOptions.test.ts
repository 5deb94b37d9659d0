import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildModel,
  modelSpecSchema,
  trainsTowersIndependently,
  type ModelSpec,
} from '../../../native/ml/models/index.js';
import { memberOutputsModel } from '../../../native/ml/models/towers.js';
import { batchLoss } from '../../../native/ml/train/losses.js';
import { trainLoop } from '../../../native/ml/train/loop.js';
import { bothBackends, maxRelDiff, rng } from './backends.js';

// A small vitals-hybrid summary MLP: tower t of a model with seed s is initialised exactly like the
// single network of seed s + 100 t, so an ensemble member can be compared with that network alone.
const base = {
  family: 'vitals-hybrid',
  timeSteps: 4,
  features: 6,
  summaryRows: 2,
  classes: 2,
  branches: 'summary',
  hidden: 8,
} as const;

function data(n: number, seed: number): { x: tf.Tensor; y: tf.Tensor } {
  const random = rng(seed);
  const x = Float32Array.from({ length: n * 6 * 6 }, () => random() * 2 - 1);
  const labels = Array.from({ length: n }, (_, i) => (x[i * 36 + 24]! + x[i * 36 + 25]! > 0 ? 1 : 0));
  return { x: tf.tensor3d(x, [n, 6, 6]), y: tf.oneHot(tf.tensor1d(labels, 'int32'), 2).toFloat() };
}

async function train(
  spec: ModelSpec,
  memberLoss: boolean,
  extra: { epochs?: number; batchSize?: number; weightDecay?: number } = {},
): Promise<tf.LayersModel> {
  const model = buildModel(spec);
  const { x, y } = data(96, 5);
  await trainLoop(
    model,
    { x, y },
    { epochs: 3, batchSize: 16, learningRate: 0.01, seed: 9, loss: 'categorical', memberLoss, ...extra },
  );
  tf.dispose([x, y]);
  return model;
}

/** Weights of tower `t` (layers named with suffix `_t`, or no suffix for tower 0), in layer order. */
function towerWeights(model: tf.LayersModel, t: number): Float32Array[] {
  const names = ['summary_dense', 'head_dense', 'probabilities'];
  return names.flatMap((n) => {
    const name = t === 0 ? (n === 'probabilities' ? 'probabilities_0' : n) : `${n}_${t}`;
    return model
      .getLayer(name)
      .getWeights()
      .map((w) => w.dataSync() as Float32Array);
  });
}

describe('towers of an averaged ensemble', () => {
  beforeAll(bothBackends);

  it('trained independently, each tower learns exactly what the same network learns alone', async () => {
    const spec = modelSpecSchema.parse({ ...base, towers: 2, towerTraining: 'independent', seed: 1 });
    expect(trainsTowersIndependently(spec)).toBe(true);
    const ensemble = await train(spec, true);
    const alone = await train(modelSpecSchema.parse({ ...base, towers: 1, seed: 101 }), false);
    const aloneWeights = ['summary_dense', 'head_dense', 'probabilities'].flatMap((n) =>
      alone
        .getLayer(n)
        .getWeights()
        .map((w) => w.dataSync() as Float32Array),
    );
    const member = towerWeights(ensemble, 1);
    expect(member).toHaveLength(aloneWeights.length);
    // Adam is invariant to the 1/towers scale of each member's gradient (up to its epsilon and float32 rounding).
    member.forEach((w, i) => expect(maxRelDiff(w, aloneWeights[i]!)).toBeLessThan(1e-3));

    // Joint training (the loss of the average) does not: the same tower ends elsewhere.
    const joint = await train(modelSpecSchema.parse({ ...base, towers: 2, seed: 1 }), false);
    const jointMember = towerWeights(joint, 1);
    const jointDiff = Math.max(...jointMember.map((w, i) => maxRelDiff(w, aloneWeights[i]!)));
    expect(jointDiff).toBeGreaterThan(1e-2);
    tf.dispose([ensemble, alone, joint].flatMap((m) => m.weights.map((w) => w.read())));
  });

  it('needs a model that ends in an Average layer, and says so', () => {
    const single = buildModel(modelSpecSchema.parse({ ...base, towers: 1 }));
    expect(() => memberOutputsModel(single)).toThrow(/ending in an Average layer.*ends in Dense/);
    expect(trainsTowersIndependently(modelSpecSchema.parse({ ...base, towers: 1, towerTraining: 'independent' }))).toBe(
      false,
    );
  });
});

describe('decoupled weight decay', () => {
  beforeAll(bothBackends);

  it('shrinks every kernel by 1 - learningRate x weightDecay after the step, and leaves biases alone', async () => {
    // One step (one batch of all 96 samples) from the same initial weights: with decay, each kernel is the
    // undecayed step's kernel times (1 - 0.01 x 5); biases are the same.
    const spec = modelSpecSchema.parse({ ...base, towers: 1, seed: 3 });
    const step = { epochs: 1, batchSize: 96 };
    const plain = await train(spec, false, step);
    const decayed = await train(spec, false, { ...step, weightDecay: 5 });
    let kernels = 0;
    plain.weights.forEach((w, i) => {
      const a = Float32Array.from(w.read().dataSync());
      const b = Float32Array.from(decayed.weights[i]!.read().dataSync());
      if (w.shape.length >= 2) {
        kernels++;
        expect(
          maxRelDiff(
            b,
            a.map((v) => v * (1 - 0.01 * 5)),
          ),
        ).toBeLessThan(1e-6);
      } else expect(maxRelDiff(b, a)).toBe(0);
    });
    expect(kernels).toBe(3);
    // Over many steps the decayed network's weights stay smaller.
    const norm = (m: tf.LayersModel) =>
      m.weights.filter((w) => w.shape.length >= 2).reduce((sum, w) => sum + tf.norm(w.read()).dataSync()[0]!, 0);
    const long = await train(spec, false, { epochs: 5 });
    const longDecayed = await train(spec, false, { epochs: 5, weightDecay: 5 });
    expect(norm(longDecayed)).toBeLessThan(0.8 * norm(long));
  });
});

describe('label smoothing in the training loop', () => {
  beforeAll(bothBackends);

  it('is the loss the loop reports and minimises, for one network and for towers on their own losses', async () => {
    for (const towers of [1, 3]) {
      const spec = modelSpecSchema.parse({ ...base, towers, seed: 4 });
      const memberLoss = towers > 1;
      const { x, y } = data(96, 6);
      // The first epoch of one full batch reports the loss before its only step: that of the initial weights.
      const initial = buildModel(spec);
      const outputs = memberLoss
        ? (memberOutputsModel(initial)!.predict(x) as tf.Tensor[])
        : [initial.predict(x) as tf.Tensor];
      const expected = (e: number) =>
        outputs.reduce((sum, p) => sum + batchLoss('categorical', y, p, undefined, e).dataSync()[0]!, 0) /
        outputs.length;
      for (const e of [0, 0.2]) {
        const model = buildModel(spec);
        const { history } = await trainLoop(
          model,
          { x, y },
          { epochs: 1, batchSize: 96, learningRate: 0.01, seed: 9, loss: 'categorical', memberLoss, labelSmoothing: e },
        );
        expect(history.loss![0]!, `towers ${towers}, e ${e}`).toBeCloseTo(expected(e), 5);
        model.dispose();
      }
      expect(expected(0.2)).not.toBeCloseTo(expected(0), 3);
      tf.dispose([x, y, ...outputs]);
      initial.dispose();
    }
  });
});
