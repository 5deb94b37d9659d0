import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleMetadata } from '../../../native/ml/bundleIo.js';
import { EngineClient } from '../../../native/ml/engine/client.js';
import { applyTemperature, evaluateClassification } from '../../../native/ml/eval/index.js';
import { trainIcuMortality } from '../../../native/ml/starter/icuMortality.js';
import { trainVitalsForecast } from '../../../native/ml/starter/vitalsForecast.js';
import {
  decodeForecast,
  forecastEncoding,
  type ForecastSet,
  vitalsForecastPipeline,
  vitalsRiskPipeline,
} from '../../../native/ml/tasks/vitals.js';
import { normalQuantile } from '../../../native/ml/vitals/features.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const hasPhysionet = data !== null && existsSync(join(data, 'vitals', 'physionet2012', 'Outcomes-a.txt'));
const LIMIT = 240;
/** A tiny configuration: a few epochs on the first records, so the test stays quick. */
const tinyRisk = { limit: LIMIT, epochs: 2, units: 4, hidden: 8, bootstrap: 50, patience: 1 };

describe.skipIf(!hasPhysionet)('icu-mortality and vitals-forecast recipes (needs ../shared/data)', () => {
  let engine: EngineClient;
  const dirs: Array<{ path: string; cleanup(): void }> = [];
  const out = () => {
    const d = tempDir('osler-starter-vitals-');
    dirs.push(d);
    return d.path;
  };
  const ctx = (outDir: string) => ({ dataRoot: data!, outDir, engine, seed: 11, log: () => {} });

  beforeAll(async () => {
    engine = await EngineClient.start();
  });
  afterAll(async () => {
    await engine?.close();
    for (const d of dirs) d.cleanup();
  });

  it('icu-mortality: writes a valid bundle whose reloaded model reproduces its validation metrics; same seed, same metrics', async () => {
    const dirA = out();
    const metadata = await trainIcuMortality(ctx(dirA), tinyRisk);
    const read = readBundleMetadata(dirA);
    expect(read).toEqual(metadata);
    expect(read.card.intendedUse).toMatch(/not a medical device/i);
    expect(read.card.licence).toMatch(/ODC-By/);
    expect(readFileSync(join(dirA, 'CARD.md'), 'utf8')).toMatch(/auc: 0\.\d{3} \(95% CI/);
    const split = JSON.parse(readFileSync(join(dirA, 'split.json'), 'utf8')) as {
      train: string[];
      validation: string[];
    };
    expect(split.train.filter((id) => split.validation.includes(id))).toEqual([]);
    expect(split.train.length + split.validation.length).toBe(LIMIT);
    expect(read.trainingData.validationSize).toBe(split.validation.length);

    // Reload from disk and score the validation records through the pipeline (as `osler evaluate` does).
    await engine.load({ modelId: 'reloaded', dir: dirA });
    const encoded = await vitalsRiskPipeline.load(join(data!, 'vitals', 'physionet2012'), read, { limit: LIMIT });
    const rows = split.validation.map((id) => encoded.ids.indexOf(id));
    const size = encoded.x.values.length / encoded.ids.length;
    const x = new Float32Array(rows.length * size);
    rows.forEach((r, i) => x.set(encoded.x.values.subarray(r * size, (r + 1) * size), i * size));
    const { y } = await engine.predict({
      modelId: 'reloaded',
      x: { shape: [rows.length, ...encoded.x.shape.slice(1)], dtype: 'float32', values: x },
    }).result;
    const labels = Int32Array.from(rows, (r) => encoded.labels![r]!);
    const report = evaluateClassification(
      applyTemperature(y.values as Float32Array, 2, read.temperature),
      labels,
      read.outputs,
      { bootstrap: 0 },
    );
    expect(report.auc).toBeCloseTo((read.metrics.auc as { value: number }).value, 9);
    expect(report.ece).toBeCloseTo(read.metrics.ece as number, 9);
    await engine.dispose('reloaded');

    const again = await trainIcuMortality(ctx(out()), tinyRisk);
    expect(again.metrics).toEqual(metadata.metrics);
    expect(again.temperature).toBe(metadata.temperature);
  });

  it('vitals-forecast: writes a valid bundle whose reloaded model reproduces its validation MAE', async () => {
    const dir = out();
    const settings = { limit: 80, epochs: 1, units: 4, anchorHours: [24, 36] };
    const metadata = await trainVitalsForecast(ctx(dir), settings);
    const read = readBundleMetadata(dir);
    expect(read).toEqual(metadata);
    expect(read.intervalLevel).toBe(0.9);
    for (const key of ['hr.lvcfMae', 'hr.coverage', 'map.mae', 'map.lvcfMae', 'map.coverage'])
      expect(
        Number.isFinite(read.metrics[key] as number) || Number.isFinite((read.metrics[key] as { value: number }).value),
      ).toBe(true);
    const hrMae = read.metrics['hr.mae'] as { value: number; ci95: [number, number] };
    expect(hrMae.ci95[0]).toBeLessThanOrEqual(hrMae.value);
    expect(hrMae.ci95[1]).toBeGreaterThanOrEqual(hrMae.value);

    await engine.load({ modelId: 'forecast', dir });
    const split = JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as { validation: string[] };
    const encoded = (await vitalsForecastPipeline.load(join(data!, 'vitals', 'physionet2012'), read, {
      limit: 80,
    })) as ForecastSet;
    const rows = encoded.ids.flatMap((_, i) => (split.validation.includes(encoded.patientIds[i]!) ? [i] : []));
    expect(rows.length).toBe(read.trainingData.validationSize);
    const size = encoded.x.values.length / encoded.ids.length;
    const x = new Float32Array(rows.length * size);
    rows.forEach((r, i) => x.set(encoded.x.values.subarray(r * size, (r + 1) * size), i * size));
    const { y } = await engine.predict({
      modelId: 'forecast',
      x: { shape: [rows.length, ...encoded.x.shape.slice(1)], dtype: 'float32', values: x },
    }).result;
    const encoding = forecastEncoding(read);
    const z = normalQuantile(0.95);
    let sum = 0;
    let n = 0;
    rows.forEach((r, i) => {
      const f = decodeForecast(
        encoding,
        y.values.subarray(i * 4, i * 4 + 4),
        0,
        z,
        encoded.lastValues.subarray(r * 2, r * 2 + 2),
      );
      expect(f.lower[0]).toBeLessThan(f.mean[0]!);
      expect(f.upper[0]).toBeGreaterThan(f.mean[0]!);
      const target = encoded.y!.values[r * 2]!;
      if (!Number.isNaN(target)) {
        sum += Math.abs(Math.fround(f.mean[0]!) - target);
        n++;
      }
    });
    expect(n).toBe(read.metrics['hr.n']);
    expect(sum / n).toBeCloseTo(hrMae.value, 4);
    await engine.dispose('forecast');
  });
});
