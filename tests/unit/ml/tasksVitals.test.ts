import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BundleMetadata } from '../../../native/ml/bundle.js';
import {
  decodeForecast,
  encodeRiskRow,
  forecastTrainingData,
  encodeStay,
  forecastInputsAtLastHour,
  vitalsForecastPipeline,
  vitalsRiskPipeline,
  type ForecastEncoding,
  type RiskEncoding,
} from '../../../native/ml/tasks/vitals.js';
import { featuresPerStep, fitBinSpec } from '../../../native/ml/vitals/features.js';
import { binWindow, lastValue, targetValue } from '../../../native/ml/vitals/forecast.js';
import {
  findPhysioNetLayout,
  readPhysioNetSet,
  stratifiedPatientSplit,
} from '../../../native/ml/vitals/physionetSet.js';
import {
  cleanStay,
  fitSummarySpec,
  summariseStay,
  summaryFeatureNames,
  type VitalsStay,
} from '../../../native/ml/vitals/summary.js';
import { dataDir } from '../helpers.js';

const H = 3_600_000;
const series = (parameter: string, hours: number[], values: number[]) => ({
  parameter,
  timesMs: Float64Array.from(hours, (h) => h * H),
  values: Float32Array.from(values),
});

function riskMetadata(stays: readonly VitalsStay[], bins = 48): BundleMetadata {
  const clean = stays.map(cleanStay);
  const spec = fitBinSpec(clean, { bins });
  const summary = fitSummarySpec(clean, spec.variables, { windowMs: bins * H });
  const features = featuresPerStep(spec);
  const encoding: RiskEncoding = {
    layout: 'bins+summary',
    outcome: 'in-hospital-death',
    summaryRows: Math.ceil(summaryFeatureNames(spec.variables).length / features),
    summary: { ...summary },
  };
  return {
    format: 'osler-model/1',
    name: 'icu-mortality',
    version: 'test',
    title: 't',
    task: 'vitals-risk',
    outputs: ['survived', 'died'],
    spec: null,
    input: {
      kind: 'vitals',
      variables: [...spec.variables],
      stepHours: 1,
      timeSteps: bins,
      means: [...spec.mean],
      stds: [...spec.std],
      channels: ['value', 'mask', 'delta'],
      options: encoding as unknown as Record<string, unknown>,
    },
    temperature: 1,
    metrics: {},
    trainingData: { source: 't', trainSize: 0, validationSize: 0, split: 't' },
    hyperParameters: {},
    card: { intendedUse: '', dataSource: '', licence: '', attribution: '', limitations: [] },
    parent: null,
    createdBy: 'test',
    createdAt: '2026-11-28T00:00:00Z',
    oslerVersion: '0',
  };
}

function forecastMetadata(stays: readonly VitalsStay[]): BundleMetadata {
  const base = riskMetadata(stays, 24);
  const input = base.input as Extract<BundleMetadata['input'], { kind: 'vitals' }>;
  const j = (v: string) => input.variables.indexOf(v);
  const encoding: ForecastEncoding = {
    layout: 'window',
    anchorHours: [24, 36],
    relativeTo: 'last',
    targets: [
      { name: 'hr', variable: 'HR', mean: input.means[j('HR')]!, std: input.stds[j('HR')]! },
      { name: 'map', variable: 'MAP', fallback: 'NIMAP', mean: input.means[j('MAP')]!, std: input.stds[j('MAP')]! },
    ],
  };
  return {
    ...base,
    task: 'vitals-forecast',
    outputs: ['hr', 'map'],
    positiveClass: undefined,
    input: { ...input, options: encoding as unknown as Record<string, unknown> },
  };
}

describe('vital-sign data helpers', () => {
  it('splits by patient with no overlap, stratified on the label, reproducibly', () => {
    // 3 items per patient, 100 patients, 20 of them positive.
    const patients = Array.from({ length: 300 }, (_, i) => `p${Math.floor(i / 3)}`);
    const labels = patients.map((p) => (Number(p.slice(1)) % 5 === 0 ? 1 : 0));
    const a = stratifiedPatientSplit(patients, labels, 0.2, 7);
    const b = stratifiedPatientSplit(patients, labels, 0.2, 7);
    expect(a).toEqual(b);
    const trainPatients = new Set(a.train.map((i) => patients[i]));
    const valPatients = new Set(a.validation.map((i) => patients[i]));
    expect([...valPatients].filter((p) => trainPatients.has(p))).toEqual([]);
    expect(a.train.length + a.validation.length).toBe(300);
    expect(valPatients.size).toBe(20);
    expect([...valPatients].filter((p) => Number(p!.slice(1)) % 5 === 0)).toHaveLength(4);
    expect(stratifiedPatientSplit(patients, labels, 0.2, 8).validation).not.toEqual(a.validation);
  });

  it('summarises a stay: min, max, mean, first, last, measured, count, statics', () => {
    const stay: VitalsStay = {
      descriptors: { ageYears: 70, gender: 1, heightCm: 13, weightKg: null, icuType: 3 },
      series: [series('HR', [1, 2, 3, 60], [80, 100, 90, 200]), series('Temp', [1], [0]), series('Weight', [0], [82])],
    };
    const spec = fitSummarySpec([stay, { series: [series('HR', [1], [70])] }], ['HR', 'Temp']);
    const names = summaryFeatureNames(['HR', 'Temp']);
    const raw = (name: string) => {
      const z = summariseStay(spec, cleanStay(stay))[names.indexOf(name)]!;
      const f = names.indexOf(name);
      return z * spec.std[f]! + spec.mean[f]!;
    };
    expect(raw('HR.min')).toBeCloseTo(80, 3);
    expect(raw('HR.max')).toBeCloseTo(100, 3);
    expect(raw('HR.mean')).toBeCloseTo(90, 3);
    expect(raw('HR.first')).toBeCloseTo(80, 3);
    expect(raw('HR.last')).toBeCloseTo(90, 3);
    expect(raw('HR.count')).toBeCloseTo(Math.log1p(3), 3);
    // Temp 0 is a recording error: cleaned away, so unmeasured (0 = the training mean).
    expect(summariseStay(spec, cleanStay(stay))[names.indexOf('Temp.measured')]).toBeLessThan(0);
    expect(summariseStay(spec, cleanStay(stay))[names.indexOf('Temp.mean')]).toBe(0);
    expect(summariseStay(spec, cleanStay(stay))[names.indexOf('heightKnown')]).toBeLessThanOrEqual(0);
    expect(raw('weight')).toBeCloseTo(82, 3);
    expect(raw('icuMedical')).toBeCloseTo(1, 3);
  });

  it('windows carry the last value from before the window start, and targets fall back (MAP, else NIMAP)', () => {
    const stay: VitalsStay = {
      series: [series('HR', [0.5, 10.2], [60, 120]), series('NIMAP', [30.5], [70]), series('MAP', [31.2], [90])],
    };
    const spec = { version: 1 as const, variables: ['HR'], bins: 4, binMs: H, mean: [100], std: [10] };
    // Window [8, 12) h: HR 60 from 0.5 h is carried in (z -4), measured again in bin 2 (10.2 h).
    expect(Array.from(binWindow(spec, stay, 12 * H))).toEqual(
      [-4, 0, 0.25 * 8, -4, 0, 1, 2, 1, 0, 2, 0, 0.25]
        .map((v, i) => (i % 3 === 2 ? Math.min(1, v) : v))
        .map((v) => Math.fround(v)),
    );
    expect(targetValue(stay, { name: 'map', variable: 'MAP', fallback: 'NIMAP' }, 30 * H, 31 * H)).toBe(70);
    expect(targetValue(stay, { name: 'map', variable: 'MAP', fallback: 'NIMAP' }, 31 * H, 32 * H)).toBe(90);
    expect(Number.isNaN(targetValue(stay, { name: 'hr', variable: 'HR' }, 30 * H, 31 * H))).toBe(true);
    expect(lastValue(stay, { name: 'map', variable: 'MAP', fallback: 'NIMAP' }, 31 * H)).toBe(70);
    expect(lastValue(stay, { name: 'hr', variable: 'HR' }, 31 * H)).toBe(120);
  });
});

describe('forecast decoding', () => {
  const targets = [
    { name: 'hr', variable: 'HR', mean: 85, std: 15 },
    { name: 'map', variable: 'MAP', mean: 80, std: 12 },
  ];
  it('reads changes from the last value (training mean when never measured) with a Gaussian interval', () => {
    const encoding: ForecastEncoding = { layout: 'window', targets, anchorHours: [24], relativeTo: 'last' };
    // Item 1: hr +0.2 SD from 100, log-variance ln(0.25) -> SD 0.5 x 15; map 0 from the mean (never measured).
    const output = [9, 9, 9, 9, 0.2, 0, Math.log(0.25), 0];
    const f = decodeForecast(encoding, output, 1, 2, [0, 0, 100, Number.NaN]);
    expect(f.mean[0]).toBeCloseTo(103, 5);
    expect(f.lower[0]).toBeCloseTo(103 - 2 * 7.5, 5);
    expect(f.upper[0]).toBeCloseTo(103 + 2 * 7.5, 5);
    expect(f.mean[1]).toBeCloseTo(80, 5);
    expect(() => decodeForecast(encoding, output, 1, 2)).toThrow(/last value/);
    const absolute = decodeForecast({ ...encoding, relativeTo: 'mean' }, output, 1, 2);
    expect(absolute.mean[0]).toBeCloseTo(85 + 0.2 * 15, 5);
  });

  it('trains only on windows with every target observed, on the change from the last value in SDs', () => {
    const encoding: ForecastEncoding = { layout: 'window', targets, anchorHours: [24], relativeTo: 'last' };
    const set = {
      x: { shape: [3, 1, 2], dtype: 'float32' as const, values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      y: { shape: [3, 2], dtype: 'float32' as const, values: Float32Array.from([100, 80, Number.NaN, 70, 91, 92]) },
      labels: null,
      ids: ['a@24h', 'b@24h', 'c@24h'],
      patientIds: ['a', 'b', 'c'],
      skipped: [],
      lastValues: Float32Array.from([97, Number.NaN, 90, 70, 91, 80]),
    };
    const data = forecastTrainingData(encoding, set);
    expect(data.x.shape).toEqual([2, 1, 2]);
    expect(Array.from(data.x.values)).toEqual([1, 2, 5, 6]);
    expect(Array.from(data.y.values)).toEqual([3 / 15, 0, 0, 1].map((v) => Math.fround(v)));
  });
});

const root = (() => {
  const dir = dataDir();
  const r = dir === null ? null : join(dir, 'vitals', 'physionet2012');
  return r !== null && existsSync(join(r, 'Outcomes-a.txt')) ? r : null;
})();

describe.skipIf(root === null)('vitals pipeline on PhysioNet 2012 set A (needs ../shared/data)', () => {
  const set = root === null ? null : readPhysioNetSet(root, { limit: 40 });

  it('finds the layout from the root or the set folder', () => {
    expect(findPhysioNetLayout(root!).outcomesFile).toMatch(/Outcomes-a\.txt$/);
    expect(findPhysioNetLayout(join(root!, 'set-a')).outcomesFile).toMatch(/Outcomes-a\.txt$/);
    expect(() => findPhysioNetLayout(join(root!, 'nowhere'))).toThrow(/no folder/);
  });

  it('encodes a folder for a risk model with labels, and one stay exactly as the pipeline does', async () => {
    const metadata = riskMetadata(set!.stays);
    const encoded = await vitalsRiskPipeline.load(root!, metadata, { limit: 40 });
    const input = metadata.input as Extract<BundleMetadata['input'], { kind: 'vitals' }>;
    const rows = 48 + (input.options as unknown as RiskEncoding).summaryRows;
    expect(encoded.x.shape).toEqual([40, rows, 3 * input.variables.length]);
    expect(encoded.ids[0]).toBe('132539');
    expect(encoded.labels).toHaveLength(40);
    expect(encoded.y!.shape).toEqual([40, 2]);
    expect(Array.from(encoded.labels!).every((l) => l === 0 || l === 1)).toBe(true);
    expect(Array.from(encoded.x.values).every(Number.isFinite)).toBe(true);
    const one = encodeStay(metadata, set!.stays[3]!);
    expect(one.shape).toEqual([1, rows, 3 * input.variables.length]);
    const size = rows * 3 * input.variables.length;
    expect(Array.from(one.values)).toEqual(Array.from(encoded.x.values.subarray(3 * size, 4 * size)));
    expect(Array.from(encodeRiskRow(metadata, set!.stays[3]!))).toEqual(Array.from(one.values));
    await expect(vitalsForecastPipeline.load(root!, metadata)).rejects.toThrow(/not a vitals-forecast/);
  });

  it('encodes forecasting windows with next-hour targets, and the inputs at a stay’s last hour', async () => {
    const metadata = forecastMetadata(set!.stays);
    const encoded = (await vitalsForecastPipeline.load(root!, metadata, { limit: 10 })) as Awaited<
      ReturnType<typeof vitalsForecastPipeline.load>
    > & { lastValues: Float32Array };
    expect(encoded.ids.length).toBeGreaterThan(10);
    expect(encoded.ids.every((id) => /^\d+@(24|36)h$/.test(id))).toBe(true);
    expect(encoded.y!.shape).toEqual([encoded.ids.length, 2]);
    const hr = Array.from({ length: encoded.ids.length }, (_, i) => encoded.y!.values[2 * i]!).filter(
      (v) => !Number.isNaN(v),
    );
    expect(hr.length).toBeGreaterThan(10);
    expect(hr.every((v) => v > 20 && v < 250)).toBe(true);
    expect(encoded.lastValues).toHaveLength(encoded.ids.length * 2);
    const stay = set!.stays[0]!;
    const at = forecastInputsAtLastHour(metadata, stay);
    expect(at.x.shape).toEqual([1, 24, metadata.input.kind === 'vitals' ? 3 * metadata.input.variables.length : 0]);
    expect(at.endMs).toBe((Math.floor(stay.lastMs / H) + 1) * H);
    const hrSeries = stay.series.find((s) => s.parameter === 'HR')!;
    expect(at.lastValues[0]).toBe(hrSeries.values[hrSeries.values.length - 1]);
    expect(encodeStay(metadata, stay)).toEqual(at.x);
  });
});
