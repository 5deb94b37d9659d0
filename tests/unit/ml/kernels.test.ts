import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { WASM_EXTRA_KERNELS } from '../../../native/ml/kernels/index.js';
import { bothBackends, maxRelDiff, on, randomValues, rng } from './backends.js';

const TOL = 1e-5;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strides: [number, number];
  dilations: [number, number];
  pad: Pad;
  nchw: boolean;
  seed: number;
}

const convCase: fc.Arbitrary<ConvCase> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    inChannels: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 16, max: 20 })),
    outChannels: fc.integer({ min: 1, max: 5 }),
    filterHeight: fc.integer({ min: 1, max: 4 }),
    filterWidth: fc.integer({ min: 1, max: 4 }),
    strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    dilations: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padKind: fc.constantFrom('same', 'valid', 'explicit'),
    explicit: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
    nchw: fc.boolean(),
    seed: fc.nat(),
  })
  .map(({ padKind, explicit: [t, b, l, r], ...rest }) => {
    const pad: Pad =
      padKind === 'explicit'
        ? rest.nchw
          ? [
              [0, 0],
              [0, 0],
              [t, b],
              [l, r],
            ]
          : [
              [0, 0],
              [t, b],
              [l, r],
              [0, 0],
            ]
        : (padKind as 'same' | 'valid');
    return { ...rest, pad };
  })
  .filter((c) => {
    // The output must be non-empty for the effective (dilated) filter.
    const efh = (c.filterHeight - 1) * c.dilations[0] + 1;
    const efw = (c.filterWidth - 1) * c.dilations[1] + 1;
    const [pt, pb, pl, pr] =
      typeof c.pad === 'string' ? [0, 0, 0, 0] : c.nchw ? [...c.pad[2], ...c.pad[3]] : [...c.pad[1], ...c.pad[2]];
    if (c.pad === 'same') return true;
    return c.height + pt! + pb! >= efh && c.width + pl! + pr! >= efw;
  });

function outShapeOf(c: ConvCase): number[] {
  const xShape = c.nchw ? [c.batch, c.inChannels, c.height, c.width] : [c.batch, c.height, c.width, c.inChannels];
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels],
    c.strides,
    c.dilations,
    c.pad,
    undefined,
    false,
    c.nchw ? 'channelsFirst' : 'channelsLast',
  );
  return info.outShape;
}

/**
 * The cpu backend has no dilated filter gradient. A dilated filter equals an undilated one with
 * (d-1) zeros between taps, so its gradient is the undilated gradient for the expanded filter,
 * sampled at the taps: that gives a cpu reference for every dilation.
 */
function cpuReference(c: ConvCase, x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor {
  const [dh, dw] = c.dilations;
  const efh = (c.filterHeight - 1) * dh + 1;
  const efw = (c.filterWidth - 1) * dw + 1;
  const full = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
    strides: c.strides,
    pad: c.pad,
    dataFormat: c.nchw ? 'NCHW' : 'NHWC',
    filterShape: [efh, efw, c.inChannels, c.outChannels],
  } as never) as tf.Tensor4D;
  return tf.stridedSlice(full, [0, 0, 0, 0], [efh, efw, c.inChannels, c.outChannels], [dh, dw, 1, 1]);
}

describe('wasm training kernels', () => {
  beforeAll(bothBackends);

  it('registers every kernel it declares', () => {
    for (const { config } of WASM_EXTRA_KERNELS) expect(tf.getKernel(config.kernelName, 'wasm')).toBeDefined();
  });

  it('Conv2DBackpropFilter equals the cpu backend (strides, same/valid/explicit padding, dilation, NHWC/NCHW)', async () => {
    await fc.assert(
      fc.asyncProperty(convCase, async (c) => {
        const next = rng(c.seed);
        const xShape = c.nchw ? [c.batch, c.inChannels, c.height, c.width] : [c.batch, c.height, c.width, c.inChannels];
        const dyShape = outShapeOf(c);
        const xv = randomValues(
          xShape.reduce((a, b) => a * b, 1),
          next,
        );
        const dyv = randomValues(
          dyShape.reduce((a, b) => a * b, 1),
          next,
        );
        const attrs = {
          strides: c.strides,
          pad: c.pad,
          dataFormat: c.nchw ? 'NCHW' : 'NHWC',
          filterShape: [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels],
          dilations: c.dilations,
        };
        const [expected] = await on('cpu', () =>
          cpuReference(c, tf.tensor4d(xv, xShape as never), tf.tensor4d(dyv, dyShape as never)),
        );
        const [actual] = await on(
          'wasm',
          () =>
            tf
              .engine()
              .runKernel(
                'Conv2DBackpropFilter',
                { x: tf.tensor(xv, xShape), dy: tf.tensor(dyv, dyShape) },
                attrs as never,
              ) as tf.Tensor,
        );
        expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
      }),
      { seed: 20240611, numRuns: 120 },
    );
  });

  it('Conv2DBackpropFilter splits long inputs into chunks without changing the result', async () => {
    // 1 x 16 x 16 x 4000 with a 3x3 filter: 256 rows of 36,000 columns exceeds one 1M-element
    // chunk (wide rather than long, so float32 sums of 256 terms stay within 1e-5 of cpu's float64).
    const next = rng(7);
    const xShape = [1, 16, 16, 4000];
    const xv = randomValues(16 * 16 * 4000, next);
    const dyv = randomValues(16 * 16 * 2, next);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4000, 2] };
    const run = () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor(xv, xShape), dy: tf.tensor(dyv, [1, 16, 16, 2]) },
          attrs as never,
        ) as tf.Tensor;
    const [expected] = await on('cpu', run);
    const [actual] = await on('wasm', run);
    expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
  });

  it('the conv2d gradient through tf.grads uses it and matches cpu', async () => {
    const next = rng(11);
    const xv = randomValues(2 * 10 * 10 * 3, next);
    const fv = randomValues(3 * 3 * 3 * 4, next);
    const run = () => {
      const x = tf.tensor4d(xv, [2, 10, 10, 3]);
      const f = tf.tensor4d(fv, [3, 3, 3, 4]);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')
          .square()
          .sum(),
      );
      return g([x, f]);
    };
    const expected = await on('cpu', run);
    const actual = await on('wasm', run);
    expect(maxRelDiff(actual[0]!, expected[0]!)).toBeLessThanOrEqual(TOL);
    expect(maxRelDiff(actual[1]!, expected[1]!)).toBeLessThanOrEqual(TOL);
  });

  it('Conv2DBackpropInput (XNNPACK rewrite) equals the cpu backend on the same random shapes', async () => {
    await fc.assert(
      fc.asyncProperty(convCase, async (c) => {
        const next = rng(c.seed);
        const xShape = c.nchw ? [c.batch, c.inChannels, c.height, c.width] : [c.batch, c.height, c.width, c.inChannels];
        const dyShape = outShapeOf(c);
        const [dh, dw] = c.dilations;
        const fShape = [c.filterHeight, c.filterWidth, c.inChannels, c.outChannels];
        const fv = randomValues(
          fShape.reduce((a, b) => a * b, 1),
          next,
        );
        const dyv = randomValues(
          dyShape.reduce((a, b) => a * b, 1),
          next,
        );
        // cpu reference for a dilated filter: the undilated gradient with zeros between the taps.
        const efh = (c.filterHeight - 1) * dh + 1;
        const efw = (c.filterWidth - 1) * dw + 1;
        const expanded = new Float32Array(efh * efw * c.inChannels * c.outChannels);
        const tap = c.inChannels * c.outChannels;
        for (let i = 0; i < c.filterHeight; i++)
          for (let j = 0; j < c.filterWidth; j++)
            expanded.set(
              fv.subarray((i * c.filterWidth + j) * tap, (i * c.filterWidth + j + 1) * tap),
              (i * dh * efw + j * dw) * tap,
            );
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: c.nchw ? 'NCHW' : 'NHWC', inputShape: xShape };
        const [expected] = await on(
          'cpu',
          () =>
            tf
              .engine()
              .runKernel(
                'Conv2DBackpropInput',
                { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(expanded, [efh, efw, c.inChannels, c.outChannels]) },
                attrs as never,
              ) as tf.Tensor,
        );
        const [actual] = await on(
          'wasm',
          () =>
            tf
              .engine()
              .runKernel('Conv2DBackpropInput', { dy: tf.tensor(dyv, dyShape), filter: tf.tensor(fv, fShape) }, {
                ...attrs,
                dilations: c.dilations,
              } as never) as tf.Tensor,
        );
        expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
      }),
      { seed: 20240612, numRuns: 120 },
    );
  });

  it('MaxPoolGrad equals the cpu backend, ties included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({
            batch: fc.integer({ min: 1, max: 2 }),
            height: fc.integer({ min: 1, max: 9 }),
            width: fc.integer({ min: 1, max: 9 }),
            channels: fc.integer({ min: 1, max: 4 }),
            filter: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
            strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
            pad: fc.constantFrom('same' as const, 'valid' as const),
            levels: fc.constantFrom(3, 1000),
            seed: fc.nat(),
          })
          .filter((c) => c.pad === 'same' || (c.height >= c.filter[0] && c.width >= c.filter[1])),
        async (c) => {
          const next = rng(c.seed);
          const shape = [c.batch, c.height, c.width, c.channels] as [number, number, number, number];
          // Few levels make ties common: the gradient must go to the same (first) maximum as cpu.
          const xv = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () =>
            Math.floor(next() * c.levels),
          );
          const run = () =>
            tf.grad((x: tf.Tensor) =>
              tf
                .maxPool(x as tf.Tensor4D, c.filter, c.strides, c.pad)
                .mul(
                  tf
                    .range(1, 1 + tf.maxPool(x as tf.Tensor4D, c.filter, c.strides, c.pad).size)
                    .reshape(tf.maxPool(x as tf.Tensor4D, c.filter, c.strides, c.pad).shape),
                )
                .sum(),
            )(tf.tensor4d(xv, shape));
          const [expected] = await on('cpu', run);
          const [actual] = await on('wasm', run);
          expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
        },
      ),
      { seed: 7, numRuns: 80 },
    );
  });

  it('MaxPoolGrad 2x2 stride 2 (the fast path) equals the cpu backend with ties, odd edges, -Infinity and NaN', async () => {
    for (const [h, w, pad] of [
      [8, 8, 'valid'],
      [9, 7, 'valid'],
      [6, 10, 'same'],
    ] as const) {
      const shape = [2, h, w, 3] as [number, number, number, number];
      const next = rng(h * 31 + w);
      const xv = Float32Array.from({ length: 2 * h * w * 3 }, (_, i) =>
        i % 17 === 0 ? Number.NEGATIVE_INFINITY : i % 23 === 0 ? Number.NaN : Math.floor(next() * 3),
      );
      const run = () =>
        tf.grad((x: tf.Tensor) => {
          const y = tf.maxPool(x as tf.Tensor4D, 2, 2, pad);
          return y.mul(tf.range(1, 1 + y.size).reshape(y.shape)).sum();
        })(tf.tensor4d(xv, shape));
      const [expected] = await on('cpu', run);
      const [actual] = await on('wasm', run);
      expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
    }
  });

  it('UnsortedSegmentSum equals the cpu backend, dropping out-of-range ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 2 }),
        fc.nat(),
        async (n, numSegments, inner, seed) => {
          const next = rng(seed);
          const shape = [n, ...inner];
          const xv = randomValues(
            shape.reduce((a, b) => a * b, 1),
            next,
          );
          const ids = Int32Array.from({ length: n }, () => Math.floor(next() * (numSegments + 2)) - 1);
          const run = () => tf.unsortedSegmentSum(tf.tensor(xv, shape), tf.tensor1d(ids, 'int32'), numSegments);
          const [expected] = await on('cpu', run);
          const [actual] = await on('wasm', run);
          expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
        },
      ),
      { seed: 42, numRuns: 60 },
    );
  });

  it('the gather (embedding) gradient matches cpu', async () => {
    const next = rng(5);
    const table = randomValues(50 * 6, next);
    const ids = Int32Array.from({ length: 64 }, () => Math.floor(next() * 50));
    const run = () =>
      tf.grad((t: tf.Tensor) =>
        tf
          .gather(t, tf.tensor2d(ids, [8, 8], 'int32'))
          .square()
          .sum(),
      )(tf.tensor2d(table, [50, 6]));
    const [expected] = await on('cpu', run);
    const [actual] = await on('wasm', run);
    expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
  });

  it('depthwise conv gradients (bridged to cpu) match cpu', async () => {
    const next = rng(9);
    const xv = randomValues(2 * 7 * 7 * 3, next);
    const fv = randomValues(3 * 3 * 3 * 2, next);
    const run = () =>
      tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf
          .depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')
          .square()
          .sum(),
      )([tf.tensor4d(xv, [2, 7, 7, 3]), tf.tensor4d(fv, [3, 3, 3, 2])]);
    const expected = await on('cpu', run);
    const actual = await on('wasm', run);
    expect(maxRelDiff(actual[0]!, expected[0]!)).toBeLessThanOrEqual(TOL);
    expect(maxRelDiff(actual[1]!, expected[1]!)).toBeLessThanOrEqual(TOL);
  });

  it('Slice, Unpack and SplitV (heap views) equal the cpu backend on random ranks, offsets and dtypes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 }),
        fc.nat(),
        fc.boolean(),
        async (shape, seed, asInt) => {
          const next = rng(seed);
          const n = shape.reduce((a, b) => a * b, 1);
          const values = randomValues(n, next).map((v) => (asInt ? Math.round(v * 100) : v));
          const begin = shape.map((d) => Math.floor(next() * d));
          const size = shape.map((d, i) => (next() < 0.3 ? -1 : 1 + Math.floor(next() * (d - begin[i]!))));
          const axis = Math.floor(next() * shape.length);
          const run = () => {
            const x = tf.tensor(values, shape, asInt ? 'int32' : 'float32');
            const splits = [Math.floor(shape[axis]! / 2), shape[axis]! - Math.floor(shape[axis]! / 2)].filter(
              (v) => v > 0,
            );
            return [tf.slice(x, begin, size), ...tf.unstack(x, axis), ...tf.split(x, splits, axis)].map((t) =>
              t.toFloat(),
            );
          };
          const expected = await on('cpu', run);
          const actual = await on('wasm', run);
          expect(actual.length).toBe(expected.length);
          for (let i = 0; i < expected.length; i++) expect(Array.from(actual[i]!)).toEqual(Array.from(expected[i]!));
        },
      ),
      { seed: 99, numRuns: 150 },
    );
  });

  it('BatchMatMul with transposed operands (run untransposed) equals the cpu backend', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        async (batch, m, k, n, ta, tb, seed) => {
          const next = rng(seed);
          const a = randomValues(batch * m * k, next);
          const b = randomValues(batch * k * n, next);
          const run = () =>
            tf.matMul(
              tf.tensor(a, ta ? [batch, k, m] : [batch, m, k]),
              tf.tensor(b, tb ? [batch, n, k] : [batch, k, n]),
              ta,
              tb,
            );
          const [expected] = await on('cpu', run);
          const [actual] = await on('wasm', run);
          expect(maxRelDiff(actual!, expected!)).toBeLessThanOrEqual(TOL);
        },
      ),
      { seed: 5, numRuns: 80 },
    );
  });

  it('kernels leave no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const backendBefore = tf.engine().backend.numDataIds();
    await on('wasm', () =>
      tf.grad((t: tf.Tensor) => tf.conv2d(tf.ones([1, 6, 6, 2]) as tf.Tensor4D, t as tf.Tensor4D, 1, 'valid').sum())(
        tf.ones([3, 3, 2, 2]),
      ),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.engine().backend.numDataIds()).toBe(backendBefore);
  });
});
