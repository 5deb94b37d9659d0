import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bothBackends, maxRelDiff, on, randomValues, rng } from './backends.js';

/**
 * Every op the three model families' training paths use, forward and gradient, on wasm against cpu.
 * Each case maps random inputs to a scalar; its gradients with respect to every input are compared.
 */
type Case = { name: string; shapes: number[][]; f: (...xs: tf.Tensor[]) => tf.Tensor; positive?: true };

const t4 = (x: tf.Tensor) => x as tf.Tensor4D;
const t3 = (x: tf.Tensor) => x as tf.Tensor3D;
const weighted = (y: tf.Tensor) => y.mul(tf.linspace(-1, 1, y.size).reshape(y.shape)).sum();

const CASES: Case[] = [
  {
    name: 'conv2d same stride 2',
    shapes: [
      [2, 7, 7, 3],
      [3, 3, 3, 4],
    ],
    f: (x, w) => weighted(tf.conv2d(t4(x), t4(w), 2, 'same')),
  },
  {
    name: 'conv2d valid',
    shapes: [
      [2, 6, 5, 2],
      [2, 3, 2, 3],
    ],
    f: (x, w) => weighted(tf.conv2d(t4(x), t4(w), 1, 'valid')),
  },
  {
    name: 'conv2dTranspose',
    shapes: [
      [1, 4, 4, 3],
      [3, 3, 2, 3],
    ],
    f: (x, w) => weighted(tf.conv2dTranspose(t4(x), t4(w), [1, 8, 8, 2], 2, 'same')),
  },
  {
    name: 'conv1d',
    shapes: [
      [2, 12, 3],
      [3, 3, 4],
    ],
    f: (x, w) => weighted(tf.conv1d(t3(x), t3(w), 1, 'same')),
  },
  {
    name: 'depthwiseConv2d',
    shapes: [
      [1, 6, 6, 2],
      [3, 3, 2, 2],
    ],
    f: (x, w) => weighted(tf.depthwiseConv2d(t4(x), t4(w), 1, 'same')),
  },
  {
    name: 'separableConv2d',
    shapes: [
      [1, 6, 6, 2],
      [3, 3, 2, 1],
      [1, 1, 2, 3],
    ],
    f: (x, d, p) => weighted(tf.separableConv2d(t4(x), t4(d), t4(p), 1, 'same')),
  },
  { name: 'maxPool', shapes: [[2, 6, 6, 3]], f: (x) => weighted(tf.maxPool(t4(x), 2, 2, 'valid')) },
  { name: 'avgPool same', shapes: [[2, 5, 5, 3]], f: (x) => weighted(tf.avgPool(t4(x), 3, 2, 'same')) },
  {
    name: 'batchNorm',
    shapes: [[4, 3, 3, 2], [2], [2], [2], [2]],
    positive: true,
    f: (x, m, v, o, s) => weighted(tf.batchNorm(x, m, v, o, s, 1e-3)),
  },
  {
    name: 'moments (batchnorm training)',
    shapes: [[4, 3, 3, 2]],
    f: (x) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      return weighted(x.sub(mean).div(variance.add(1e-3).sqrt()));
    },
  },
  {
    name: 'relu / relu6 / leakyRelu / elu / selu',
    shapes: [[3, 8]],
    f: (x) =>
      weighted(
        tf
          .relu(x)
          .add(tf.relu6(x.mul(4)))
          .add(tf.leakyRelu(x, 0.1))
          .add(tf.elu(x))
          .add(tf.selu(x)),
      ),
  },
  {
    name: 'sigmoid / tanh / softplus',
    shapes: [[3, 8]],
    f: (x) => weighted(tf.sigmoid(x).add(tf.tanh(x)).add(tf.softplus(x))),
  },
  { name: 'prelu', shapes: [[3, 8], [8]], f: (x, a) => weighted(tf.prelu(x, a)) },
  {
    name: 'softmax cross-entropy',
    shapes: [[4, 5]],
    f: (x) => tf.losses.softmaxCrossEntropy(tf.oneHot([0, 3, 1, 4], 5), x),
  },
  { name: 'logSoftmax', shapes: [[4, 5]], f: (x) => weighted(tf.logSoftmax(x)) },
  {
    name: 'sigmoid cross-entropy',
    shapes: [[4, 3]],
    f: (x) => tf.losses.sigmoidCrossEntropy(tf.tensor2d([1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0], [4, 3]), x),
  },
  { name: 'matMul + bias (dense)', shapes: [[4, 6], [6, 3], [3]], f: (x, w, b) => weighted(tf.matMul(x, w).add(b)) },
  {
    name: 'gather axis 0 / 1 (embedding)',
    shapes: [[10, 4]],
    f: (x) =>
      weighted(tf.gather(x, tf.tensor2d([1, 2, 2, 9, 0, 1], [2, 3], 'int32'))).add(
        weighted(tf.gather(x, [3, 3, 0], 1)),
      ),
  },
  {
    name: 'transpose / reshape / tile',
    shapes: [[2, 3, 4]],
    f: (x) => weighted(tf.tile(tf.transpose(x, [2, 0, 1]).reshape([4, 6]), [2, 1])),
  },
  {
    name: 'pad / mirrorPad reflect / symmetric',
    shapes: [[2, 4, 5]],
    f: (x) =>
      weighted(
        tf.pad(x, [
          [0, 0],
          [1, 2],
          [2, 1],
        ]),
      )
        .add(
          weighted(
            tf.mirrorPad(
              x,
              [
                [0, 0],
                [2, 1],
                [1, 2],
              ],
              'reflect',
            ),
          ),
        )
        .add(
          weighted(
            tf.mirrorPad(
              x,
              [
                [0, 0],
                [1, 1],
                [2, 2],
              ],
              'symmetric',
            ),
          ),
        ),
  },
  // Square input and no half-pixel centres: the cpu backend's ResizeBilinearGrad (tfjs 4.22) swaps
  // height and width otherwise and ignores halfPixelCenters; those cases are checked by adjointness below.
  {
    name: 'resizeBilinear (align corners or not)',
    shapes: [[1, 5, 5, 2]],
    f: (x) =>
      weighted(tf.image.resizeBilinear(t4(x), [9, 7], true)).add(weighted(tf.image.resizeBilinear(t4(x), [3, 6]))),
  },
  {
    name: 'resizeNearestNeighbor',
    shapes: [[1, 5, 4, 2]],
    f: (x) => weighted(tf.image.resizeNearestNeighbor(t4(x), [10, 8])),
  },
  {
    name: 'cumsum (exclusive, reverse)',
    shapes: [[3, 7]],
    f: (x) => weighted(tf.cumsum(x, 1)).add(weighted(tf.cumsum(x, 1, true, true))),
  },
  {
    name: 'concat / slice / split / stack / unstack',
    shapes: [
      [4, 6],
      [4, 2],
    ],
    f: (a, b) => {
      const c = tf.concat([a, b], 1);
      const [p, q] = tf.split(c, [3, 5], 1);
      return weighted(tf.stack([...tf.unstack(p!), tf.slice(q!, [0, 1], [4, 3]).sum(0)]));
    },
  },
  {
    name: 'reductions mean / max / min / sum / prod',
    shapes: [[4, 5]],
    f: (x) =>
      weighted(tf.mean(x, 0))
        .add(tf.max(x, 1).sum())
        .add(tf.min(x, 0).sum())
        .add(tf.prod(x.mul(0.5).add(1), 1).sum()),
  },
  {
    name: 'elementwise exp / log / sqrt / square / abs / pow / div / clip / where',
    shapes: [
      [3, 5],
      [3, 5],
    ],
    positive: true,
    f: (a, b) =>
      weighted(
        tf
          .exp(a.mul(0.3))
          .add(tf.log(a))
          .add(tf.sqrt(b))
          .add(tf.square(a))
          .add(tf.abs(a.sub(1)))
          .add(tf.pow(a, b))
          .add(a.div(b))
          .add(tf.clipByValue(a, 0.5, 1.5))
          .add(tf.where(tf.tensor2d([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0], [3, 5], 'bool'), a, b)),
      ),
  },
  {
    name: 'reverse / expandDims / squeeze / maximum / minimum',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (a, b) => weighted(tf.reverse(tf.maximum(a, b).expandDims(0), [1, 2]).squeeze().add(tf.minimum(a, b))),
  },
  {
    name: 'LSTM cell (basicLSTMCell)',
    shapes: [[2, 3], [2, 4], [2, 4], [7, 16], [16]],
    f: (x, c, h, w, b) => {
      const [c2, h2] = tf.basicLSTMCell(tf.scalar(1), t2(w), b as tf.Tensor1D, t2(x), t2(c), t2(h));
      return weighted(c2!).add(weighted(h2!));
    },
  },
  {
    name: 'atan2 / erf / floorDiv-free sign',
    shapes: [
      [3, 4],
      [3, 4],
    ],
    f: (a, b) => weighted(tf.atan2(a, b.add(2)).add(tf.erf(a))),
  },
];

function t2(x: tf.Tensor): tf.Tensor2D {
  return x as tf.Tensor2D;
}

describe('gradients of the ops training uses: wasm equals cpu', () => {
  beforeAll(bothBackends);

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const next = rng(c.name.length * 7919);
    const values = c.shapes.map((s) => {
      const v = randomValues(
        s.reduce((a, b) => a * b, 1),
        next,
      );
      return c.positive === true ? v.map((x) => Math.abs(x) + 0.5) : v;
    });
    const run = () => {
      const xs = values.map((v, i) => tf.tensor(v, c.shapes[i]));
      const { value, grads } = tf.valueAndGrads((...a: tf.Tensor[]) => c.f(...a) as tf.Scalar)(xs);
      return [value, ...grads];
    };
    const expected = await on('cpu', run);
    const actual = await on('wasm', run);
    expect(actual.length).toBe(expected.length);
    for (let i = 0; i < expected.length; i++)
      expect(maxRelDiff(actual[i]!, expected[i]!), `output ${i}`).toBeLessThanOrEqual(1e-5);
  });

  it('resizeBilinear gradient on wasm is the adjoint of the forward map for non-square images', async () => {
    const next = rng(3);
    for (const [alignCorners, halfPixel] of [
      [false, false],
      [true, false],
      [false, true],
    ] as const) {
      const xv = randomValues(1 * 5 * 4 * 2, next);
      const yv = randomValues(1 * 9 * 7 * 2, next);
      const [lhs, rhs] = await on('wasm', () => {
        const x = tf.tensor4d(xv, [1, 5, 4, 2]);
        const y = tf.tensor4d(yv, [1, 9, 7, 2]);
        const forward = (a: tf.Tensor) => tf.image.resizeBilinear(a as tf.Tensor4D, [9, 7], alignCorners, halfPixel);
        const g = tf.grad((a: tf.Tensor) => forward(a).mul(y).sum())(x);
        return [forward(x).mul(y).sum(), x.mul(g).sum()];
      });
      expect(Math.abs(lhs![0]! - rhs![0]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(lhs![0]!)));
    }
  });
});
