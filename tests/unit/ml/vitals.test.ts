import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { inverseFrequencyWeights, rocAuc } from '../../../native/ml/eval/metrics.js';
import { buildVitalsGru } from '../../../native/ml/models/vitalsGru.js';
import { trainLoop } from '../../../native/ml/train/loop.js';
import {
  binStay,
  featuresPerStep,
  fitBinSpec,
  gaussianInterval,
  normalQuantile,
} from '../../../native/ml/vitals/features.js';
import { parseOutcomes, parseStay } from '../../../native/vitals/physionet2012.js';
import { dataDir } from '../helpers.js';
import { bothBackends, rng } from './backends.js';

const H = 3_600_000;

describe('vital-sign features and metrics', () => {
  it('bins irregular samples: last value per hour, carried forward, masks and time since last seen', () => {
    const stays = [
      { series: [{ parameter: 'HR', timesMs: [0.5 * H, 0.9 * H, 2.2 * H], values: [80, 100, 60] }] },
      {
        series: [
          { parameter: 'HR', timesMs: [0.1 * H], values: [80] },
          { parameter: 'Temp', timesMs: [1.5 * H], values: [37] },
        ],
      },
    ];
    const spec = fitBinSpec(stays, { bins: 4 });
    expect(spec.variables).toEqual(['HR', 'Temp']);
    expect(spec.mean[0]).toBeCloseTo(80);
    expect(spec.std[0]).toBeCloseTo(Math.sqrt((0 + 400 + 400 + 0) / 4));
    const x = binStay(spec, stays[0]!);
    const sd = spec.std[0]!;
    const row = (b: number) => Array.from(x.slice(b * featuresPerStep(spec), (b + 1) * featuresPerStep(spec)));
    // [HR value, Temp value, HR mask, Temp mask, HR since, Temp since]
    expect(row(0)).toEqual([Math.fround(20 / sd), 0, 1, 0, 0, 1]);
    expect(row(1)).toEqual([Math.fround(20 / sd), 0, 0, 0, 0.25, 1]);
    expect(row(2)).toEqual([Math.fround(-20 / sd), 0, 1, 0, 0, 1]);
    expect(row(3)).toEqual([Math.fround(-20 / sd), 0, 0, 0, 0.25, 1]);
  });

  it('ROC AUC matches hand-computed values, ties counted half', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75);
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9])).toBeCloseTo(0.875);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(inverseFrequencyWeights([0, 0, 0, 1], 2)).toEqual([4 / 6, 2]);
  });

  it('gaussian intervals use the normal quantile', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.05)).toBeCloseTo(-1.644854, 5);
    const { low, high } = gaussianInterval(10, Math.log(4), 0.95);
    expect(low).toBeCloseTo(10 - 2 * 1.959964, 4);
    expect(high).toBeCloseTo(10 + 2 * 1.959964, 4);
  });
});

describe('vital-sign models', () => {
  beforeAll(bothBackends);

  it('the forecaster learns a calibrated 90% interval on a noisy synthetic heart rate', async () => {
    const next = rng(12);
    const n = 512;
    const steps = 12;
    const x = new Float32Array(n * steps);
    const y = new Float32Array(n);
    const gauss = () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    for (let i = 0; i < n; i++) {
      const level = gauss();
      for (let t = 0; t < steps; t++) x[i * steps + t] = level + 0.1 * gauss();
      y[i] = level + 0.5 * gauss(); // next value: same level, noise sd 0.5
    }
    const split = 384;
    const model = buildVitalsGru({ timeSteps: steps, features: 1, task: 'forecast', outputs: 1, units: 8, seed: 2 });
    const xs = tf.tensor3d(x, [n, steps, 1]);
    const ys = tf.tensor2d(y, [n, 1]);
    await trainLoop(
      model,
      { x: xs.slice(0, split), y: ys.slice(0, split) },
      { epochs: 30, batchSize: 64, learningRate: 0.02, seed: 3, loss: 'gaussian' },
    );
    const out = (model.predict(xs.slice(split)) as tf.Tensor).arraySync() as number[][];
    let covered = 0;
    out.forEach(([mean, logVar], i) => {
      const { low, high } = gaussianInterval(mean!, logVar!, 0.9);
      const truth = y[split + i]!;
      if (truth >= low && truth <= high) covered++;
    });
    const coverage = covered / (n - split);
    expect(coverage).toBeGreaterThanOrEqual(0.8);
    expect(coverage).toBeLessThanOrEqual(0.98);
    tf.dispose([xs, ys]);
    model.dispose();
  });

  const dir = dataDir();
  const root = dir === null ? null : join(dir, 'vitals', 'physionet2012');
  it.skipIf(root === null || !existsSync(join(root, 'Outcomes-a.txt')))(
    'the GRU risk model beats chance on held-out PhysioNet 2012 stays (in-hospital death)',
    async () => {
      const outcomes = new Map(
        parseOutcomes(readFileSync(join(root!, 'Outcomes-a.txt'), 'utf8')).outcomes.map((o) => [
          o.recordId,
          o.labels['in-hospital-death'],
        ]),
      );
      const files = readdirSync(join(root!, 'set-a'))
        .filter((f) => f.endsWith('.txt'))
        .sort()
        .slice(0, 1200);
      const stays = files.map((f) => parseStay(readFileSync(join(root!, 'set-a', f), 'utf8'), f.replace(/\.txt$/, '')));
      const labelled = stays.filter((s) => outcomes.get(s.descriptors.recordId) !== undefined);
      // One stay per patient in set A, so a split by record is a split by patient.
      const train = labelled.slice(0, 800);
      const held = labelled.slice(800);
      const spec = fitBinSpec(train);
      const asData = (list: typeof labelled) => {
        const x = new Float32Array(list.length * spec.bins * featuresPerStep(spec));
        list.forEach((s, i) => x.set(binStay(spec, s), i * spec.bins * featuresPerStep(spec)));
        const labels = list.map((s) => Number(outcomes.get(s.descriptors.recordId)));
        return { x: tf.tensor3d(x, [list.length, spec.bins, featuresPerStep(spec)]), y: tf.oneHot(labels, 2), labels };
      };
      const trainData = asData(train);
      const heldData = asData(held);
      const model = buildVitalsGru({
        timeSteps: spec.bins,
        features: featuresPerStep(spec),
        task: 'risk',
        outputs: 2,
        units: 16,
        seed: 5,
      });
      await trainLoop(model, trainData, {
        epochs: 6,
        batchSize: 32,
        learningRate: 0.005,
        seed: 5,
        loss: 'categorical',
        classWeights: inverseFrequencyWeights(trainData.labels, 2),
      });
      const risk = (model.predict(heldData.x) as tf.Tensor).slice([0, 1], [-1, 1]).dataSync();
      const auc = rocAuc(heldData.labels, risk);
      expect(auc).toBeGreaterThan(0.65);
      tf.dispose([trainData.x, trainData.y, heldData.x, heldData.y]);
      model.dispose();
    },
  );
});
