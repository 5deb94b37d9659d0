import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient, EngineError } from '../../../native/ml/engine/client.js';
import type { EngineProgress, TensorData } from '../../../native/ml/engine/protocol.js';
import { tempDir } from '../helpers.js';
import { rng } from './backends.js';

const SIZE = 16;

/** n 16x16 images, class 1 with a bright 5x5 square at a random place, class 0 noise only. */
function squares(n: number, seed: number): { x: TensorData; y: TensorData; squareAt: [number, number][] } {
  const next = rng(seed);
  const x = new Float32Array(n * SIZE * SIZE);
  const y = new Float32Array(n * 2);
  const squareAt: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < SIZE * SIZE; p++) x[i * SIZE * SIZE + p] = next() * 0.3;
    const label = i % 2;
    y[i * 2 + label] = 1;
    const r = 1 + Math.floor(next() * (SIZE - 7));
    const c = 1 + Math.floor(next() * (SIZE - 7));
    squareAt.push([r, c]);
    if (label === 1)
      for (let dr = 0; dr < 5; dr++) for (let dc = 0; dc < 5; dc++) x[i * SIZE * SIZE + (r + dr) * SIZE + c + dc] = 1;
  }
  return {
    x: { shape: [n, SIZE, SIZE, 1], dtype: 'float32', values: x },
    y: { shape: [n, 2], dtype: 'float32', values: y },
    squareAt,
  };
}

const spec = {
  family: 'image-resnet' as const,
  inputShape: [SIZE, SIZE, 1] as [number, number, number],
  classes: 2,
  width: 4,
  stages: 2,
  seed: 3,
};

describe('EngineClient + worker', () => {
  let engine: EngineClient;
  const data = squares(64, 1);
  const held = squares(32, 2);

  beforeAll(async () => {
    engine = await EngineClient.start();
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('reports the backend the worker selected', () => {
    expect(engine.backend.name).toBe('wasm');
    expect(engine.backend.simd).toBe(true);
  });

  it('trains with progress (epoch, batch, loss, metrics, samples/s, ETA) and learns the task', async () => {
    const progress: EngineProgress[] = [];
    const job = engine.train(
      {
        modelId: 'cnn',
        spec,
        train: { x: data.x, y: data.y },
        validation: { x: held.x, y: held.y },
        options: { epochs: 10, batchSize: 16, learningRate: 0.01, seed: 1 },
      },
      (p) => progress.push(p),
    );
    const result = await job.result;
    expect(result.epochsCompleted).toBe(10);
    expect(result.backend).toBe('wasm');
    const epochs = progress.filter((p) => p.phase === 'epoch');
    expect(epochs.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const p of progress) {
      expect(p.batches).toBe(4);
      expect(p.batch).toBeGreaterThanOrEqual(1);
      expect(Number.isFinite(p.loss)).toBe(true);
      expect(p.samplesPerSec).toBeGreaterThan(0);
      expect(p.etaMs).toBeGreaterThanOrEqual(0);
      expect(p.metrics.accuracy).toBeGreaterThanOrEqual(0);
    }
    expect(epochs.at(-1)!.etaMs).toBe(0);
    expect(epochs[0]!.metrics.valAccuracy).toBeDefined();
    const evaluation = await engine.evaluate({ modelId: 'cnn', x: held.x, y: held.y }).result;
    expect(evaluation.samples).toBe(32);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it('predicts in batches and leaks no tensors over 200 predictions', async () => {
    const one: TensorData = {
      shape: [1, SIZE, SIZE, 1],
      dtype: 'float32',
      values: held.x.values.slice(0, SIZE * SIZE),
    };
    await engine.predict({ modelId: 'cnn', x: one }).result;
    const start = (await engine.memory()).numTensors;
    for (let i = 0; i < 200; i++) {
      const { y } = await engine.predict({ modelId: 'cnn', x: i % 2 === 0 ? one : held.x, batchSize: 7 }).result;
      expect(y.shape).toEqual(i % 2 === 0 ? [1, 2] : [32, 2]);
    }
    await engine.explain({ modelId: 'cnn', x: one, method: 'grad-cam' }).result;
    await engine.evaluate({ modelId: 'cnn', x: held.x, y: held.y }).result;
    expect((await engine.memory()).numTensors).toBe(start);
  });

  it('a train job and disposing its model leave no tensors behind (cancelled or not)', async () => {
    const start = (await engine.memory()).numTensors;
    const small = squares(16, 9);
    await engine.train({
      modelId: 'tmp',
      spec,
      train: { x: small.x, y: small.y },
      validation: { x: small.x, y: small.y },
      options: {
        epochs: 2,
        batchSize: 8,
        learningRate: 0.01,
        seed: 1,
        patience: 0,
        augment: { flipHorizontal: true, maxShiftFraction: 0.1 },
      },
    }).result;
    await engine.dispose('tmp');
    const job = engine.train(
      {
        modelId: 'tmp2',
        spec,
        train: { x: small.x, y: small.y },
        options: { epochs: 5, batchSize: 4, learningRate: 0.01, seed: 1 },
      },
      () => job.cancel(),
    );
    await expect(job.result).rejects.toMatchObject({ code: 'cancelled' });
    expect((await engine.memory()).numTensors).toBe(start);
  });

  it('Grad-CAM on a bright square peaks on the square', async () => {
    let hits = 0;
    let tried = 0;
    for (let i = 1; i < 32 && tried < 6; i += 2) {
      tried++;
      const x: TensorData = {
        shape: [1, SIZE, SIZE, 1],
        dtype: 'float32',
        values: held.x.values.slice(i * SIZE * SIZE, (i + 1) * SIZE * SIZE),
      };
      const { attribution, target } = await engine.explain({ modelId: 'cnn', x, method: 'grad-cam', target: 1 }).result;
      expect(target).toBe(1);
      expect(attribution.shape).toEqual([1, SIZE, SIZE]);
      const v = attribution.values;
      let at = 0;
      for (let p = 1; p < v.length; p++) if (v[p]! > v[at]!) at = p;
      const [r, c] = held.squareAt[i]!;
      const pr = Math.floor(at / SIZE);
      const pc = at % SIZE;
      // Within the square, allowing one pixel for the CAM's coarser grid.
      if (pr >= r - 1 && pr <= r + 5 && pc >= c - 1 && pc <= c + 5) hits++;
    }
    expect(hits).toBeGreaterThanOrEqual(5);
  });

  it('cancels training within one batch', async () => {
    const big = squares(256, 5);
    let batchesAfterCancel = -1;
    const job = engine.train(
      {
        modelId: 'cancelled',
        spec,
        train: { x: big.x, y: big.y },
        options: { epochs: 50, batchSize: 8, learningRate: 0.01, seed: 2 },
      },
      (p) => {
        if (batchesAfterCancel >= 0) batchesAfterCancel++;
        if (batchesAfterCancel < 0 && p.phase === 'batch') {
          batchesAfterCancel = 0;
          job.cancel();
        }
      },
    );
    const error = await job.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).code).toBe('cancelled');
    expect(batchesAfterCancel).toBeLessThanOrEqual(1);
    // A cancelled run leaves no model behind and the engine keeps working.
    await expect(engine.predict({ modelId: 'cancelled', x: held.x }).result).rejects.toMatchObject({
      code: 'not-found',
    });
    expect((await engine.predict({ modelId: 'cnn', x: held.x }).result).y.shape).toEqual([32, 2]);
  });

  it('saves and loads a model with identical predictions', async () => {
    const dir = tempDir('osler-ml-model-');
    try {
      const before = await engine.predict({ modelId: 'cnn', x: held.x }).result;
      await engine.save({ modelId: 'cnn', dir: dir.path, metadata: { task: 'squares' } });
      const loadedModel = await engine.load({ modelId: 'reloaded', dir: dir.path });
      expect(loadedModel.spec).toEqual(spec);
      const after = await engine.predict({ modelId: 'reloaded', x: held.x }).result;
      expect(Array.from(after.y.values)).toEqual(Array.from(before.y.values));
      await engine.dispose('reloaded');
    } finally {
      dir.cleanup();
    }
  });

  it('fine-tunes from a loaded model: a near-zero learning rate keeps its predictions', async () => {
    const before = await engine.predict({ modelId: 'cnn', x: held.x }).result;
    // One epoch at learning rate ~0 starts from the source weights; only batch-norm running statistics move.
    await engine.train({
      modelId: 'tuned',
      spec,
      initFrom: 'cnn',
      train: { x: data.x, y: data.y },
      options: { epochs: 1, batchSize: 16, learningRate: 1e-12, seed: 9 },
    }).result;
    const after = await engine.predict({ modelId: 'tuned', x: held.x }).result;
    const maxDiff = Array.from(after.y.values).reduce((m, v, i) => Math.max(m, Math.abs(v - before.y.values[i]!)), 0);
    expect(maxDiff).toBeLessThan(0.05);
    // A fresh model with the same spec but no initFrom predicts differently.
    await engine.train({
      modelId: 'fresh',
      spec: { ...spec, seed: 11 },
      train: { x: data.x, y: data.y },
      options: { epochs: 1, batchSize: 16, learningRate: 1e-12, seed: 9 },
    }).result;
    const fresh = await engine.predict({ modelId: 'fresh', x: held.x }).result;
    const freshDiff = Array.from(fresh.y.values).reduce((m, v, i) => Math.max(m, Math.abs(v - before.y.values[i]!)), 0);
    expect(freshDiff).toBeGreaterThan(0.2);
    const other = { ...spec, width: 8 };
    await expect(
      engine.train({
        modelId: 'mismatch',
        spec: other,
        initFrom: 'cnn',
        train: { x: data.x, y: data.y },
        options: { epochs: 1, batchSize: 16, learningRate: 0.01, seed: 9 },
      }).result,
    ).rejects.toMatchObject({ code: 'invalid-input' });
    await engine.dispose('tuned');
    await engine.dispose('fresh');
  });

  it('rejects invalid jobs with invalid-input and unknown models with not-found', async () => {
    const bad = { shape: [2, 3], dtype: 'float32' as const, values: new Float32Array(5) };
    await expect(engine.predict({ modelId: 'cnn', x: bad }).result).rejects.toMatchObject({ code: 'invalid-input' });
    await expect(engine.evaluate({ modelId: 'nope', x: held.x, y: held.y }).result).rejects.toMatchObject({
      code: 'not-found',
    });
    // Label smoothing has no meaning for a forecaster's Gaussian loss: refused, not ignored.
    const series = { shape: [4, 3, 2], dtype: 'float32' as const, values: new Float32Array(24) };
    const targets = { shape: [4, 2], dtype: 'float32' as const, values: new Float32Array(8) };
    await expect(
      engine.train({
        modelId: 'smoothed-forecast',
        spec: { family: 'vitals-gru', timeSteps: 3, features: 2, task: 'forecast', outputs: 1, units: 2 },
        train: { x: series, y: targets },
        options: { epochs: 1, batchSize: 4, learningRate: 0.01, seed: 1, labelSmoothing: 0.1 },
      }).result,
    ).rejects.toMatchObject({ code: 'invalid-input', message: expect.stringMatching(/classifiers only/) });
  });
});
