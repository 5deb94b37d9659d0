import { OslerError } from '../../contract/result.js';
import type { BundleMetadata, InputSpec } from '../bundle.js';
import type { TensorData } from '../engine/protocol.js';
import { binStay, type BinSpec } from '../vitals/features.js';
import { binWindow, lastValue, targetValue, type ForecastTarget } from '../vitals/forecast.js';
import { readPhysioNetSet } from '../vitals/physionetSet.js';
import { cleanStay, summariseStay, type SummarySpec, type VitalsStay } from '../vitals/summary.js';
import type { EncodedSet, LoadOptions, TaskPipeline } from './types.js';

const HOUR_MS = 3_600_000;

/** The vitals input spec, narrowed. */
export type VitalsInputSpec = Extract<InputSpec, { kind: 'vitals' }>;

/**
 * Encoder settings of the risk model (`input.options`): the input is [timeSteps + summaryRows,
 * features] — hourly bins, then the per-stay summary vector row-major, zero-padded.
 */
export interface RiskEncoding {
  readonly layout: 'bins+summary';
  /** Outcomes column (task name) the label comes from, e.g. `in-hospital-death`. */
  readonly outcome: string;
  readonly summaryRows: number;
  readonly summary: Omit<SummarySpec, 'version'>;
}

/** A forecast target with the normalisation its model output is in (z-scores of the target). */
export interface ForecastTargetSpec extends ForecastTarget {
  readonly mean: number;
  readonly std: number;
}

/**
 * Encoder settings of the forecaster (`input.options`): the input is the `timeSteps` hourly bins
 * before an anchor hour. With `relativeTo: 'last'` the model outputs the change from each target's
 * last value before the anchor (its training mean when never measured), in target SDs, and a
 * log-variance per target; with `'mean'` it outputs the z-scored value itself.
 */
export interface ForecastEncoding {
  readonly layout: 'window';
  readonly targets: readonly ForecastTargetSpec[];
  /** Hours from admission at which stays are cut for training and evaluation. */
  readonly anchorHours: readonly number[];
  /** Absent in bundles made before it existed: `mean`. */
  readonly relativeTo?: 'last' | 'mean';
}

function vitalsInput(metadata: BundleMetadata): VitalsInputSpec {
  if (metadata.input.kind !== 'vitals')
    throw new OslerError('invalid-input', `model ${metadata.name} does not read vital signs`);
  return metadata.input;
}

/** The bin spec an input spec describes. */
export function binSpecOf(input: VitalsInputSpec): BinSpec {
  return {
    version: 1,
    variables: input.variables,
    bins: input.timeSteps,
    binMs: input.stepHours * HOUR_MS,
    mean: input.means,
    std: input.stds,
  };
}

/** The risk encoder settings of a bundle; throws when the bundle is not a risk model of this layout. */
export function riskEncoding(metadata: BundleMetadata): RiskEncoding {
  const options = vitalsInput(metadata).options as RiskEncoding | undefined;
  if (metadata.task !== 'vitals-risk' || options?.layout !== 'bins+summary')
    throw new OslerError('invalid-input', `model ${metadata.name} is not a vital-sign risk model Osler can encode for`);
  return options;
}

/** The forecast encoder settings of a bundle. */
export function forecastEncoding(metadata: BundleMetadata): ForecastEncoding {
  const options = vitalsInput(metadata).options as ForecastEncoding | undefined;
  if (metadata.task !== 'vitals-forecast' || options?.layout !== 'window')
    throw new OslerError('invalid-input', `model ${metadata.name} is not a vital-sign forecaster Osler can encode for`);
  return options;
}

/** Values per item of a risk model's input. */
export function riskRowSize(input: VitalsInputSpec, encoding: RiskEncoding): number {
  return (input.timeSteps + encoding.summaryRows) * 3 * input.variables.length;
}

/** One stay as a risk model's input row (bins, then the summary rows); the stay is cleaned first. */
export function encodeRiskRow(metadata: BundleMetadata, stay: VitalsStay): Float32Array {
  const input = vitalsInput(metadata);
  const encoding = riskEncoding(metadata);
  const clean = cleanStay(stay);
  const out = new Float32Array(riskRowSize(input, encoding));
  const bins = binStay(binSpecOf(input), clean);
  out.set(bins, 0);
  out.set(summariseStay({ version: 1, ...encoding.summary }, clean), bins.length);
  return out;
}

/** The forecaster's input for the window ending at `endMs` (the forecast is for the hour after it). */
export function encodeForecastWindow(metadata: BundleMetadata, stay: VitalsStay, endMs: number): Float32Array {
  return binWindow(binSpecOf(vitalsInput(metadata)), cleanStay(stay), endMs);
}

/** Next-hour forecast inputs of a stay at its last hour. */
export interface ForecastInputs {
  /** [1, timeSteps, features]. */
  readonly x: TensorData;
  /** The window ends here (whole hours from admission); the forecast covers the hour after it. */
  readonly endMs: number;
  /** Last value of each target before `endMs` (the carried-forward baseline), in target units. */
  readonly lastValues: readonly number[];
}

/** The forecaster's inputs at a stay's last hour: the window ends at the hour after the last sample. */
export function forecastInputsAtLastHour(metadata: BundleMetadata, stay: VitalsStay): ForecastInputs {
  const input = vitalsInput(metadata);
  const encoding = forecastEncoding(metadata);
  let lastMs = 0;
  for (const s of stay.series) for (let i = 0; i < s.timesMs.length; i++) lastMs = Math.max(lastMs, s.timesMs[i]!);
  const endMs = (Math.floor(lastMs / HOUR_MS) + 1) * HOUR_MS;
  const clean = cleanStay(stay);
  const values = binWindow(binSpecOf(input), clean, endMs);
  return {
    x: { shape: [1, input.timeSteps, 3 * input.variables.length], dtype: 'float32', values },
    endMs,
    lastValues: encoding.targets.map((t) => lastValue(clean, t, endMs)),
  };
}

/**
 * One stay encoded for a bundle, batch dimension included: the risk model's [1, steps + summary
 * rows, features], or the forecaster's window at the stay's last hour [1, steps, features].
 */
export function encodeStay(metadata: BundleMetadata, stay: VitalsStay): TensorData {
  if (metadata.task === 'vitals-forecast') return forecastInputsAtLastHour(metadata, stay).x;
  const input = vitalsInput(metadata);
  const encoding = riskEncoding(metadata);
  const values = encodeRiskRow(metadata, stay);
  return {
    shape: [1, input.timeSteps + encoding.summaryRows, 3 * input.variables.length],
    dtype: 'float32',
    values,
  };
}

/** A forecast in target units: mean and central interval per target. */
export interface Forecast {
  readonly mean: number[];
  readonly lower: number[];
  readonly upper: number[];
}

/**
 * The value each target's output is relative to, in target units: the last value before the
 * window end (`lastValues`, NaN when never measured, then the training mean) or the mean.
 */
export function forecastBase(
  encoding: ForecastEncoding,
  lastValues: ArrayLike<number> | undefined,
  i: number,
): number[] {
  const k = encoding.targets.length;
  if (encoding.relativeTo === 'last' && lastValues === undefined)
    throw new OslerError(
      'invalid-input',
      "this forecaster predicts the change from each target's last value: pass the items' last values",
    );
  return encoding.targets.map((t, j) => {
    const last = lastValues?.[i * k + j] ?? Number.NaN;
    return encoding.relativeTo === 'last' && Number.isFinite(last) ? last : t.mean;
  });
}

/**
 * Reads the forecaster's raw output for item `i` (per target a scaled value, then per target a
 * log-variance) as target units, with the central `z`-score interval (`z` = normal quantile of the
 * level). `lastValues` are the items' last target values ([n, targets] row-major, as
 * {@link encodeForecastSet} and {@link forecastInputsAtLastHour} give them); required when the
 * encoding is `relativeTo: 'last'`.
 */
export function decodeForecast(
  encoding: ForecastEncoding,
  output: ArrayLike<number>,
  i: number,
  z: number,
  lastValues?: ArrayLike<number>,
): Forecast {
  const k = encoding.targets.length;
  const base = forecastBase(encoding, lastValues, i);
  const mean: number[] = [];
  const lower: number[] = [];
  const upper: number[] = [];
  encoding.targets.forEach((t, j) => {
    const m = output[i * 2 * k + j]! * t.std + base[j]!;
    const sd = Math.exp(0.5 * Math.max(-10, Math.min(10, output[i * 2 * k + k + j]!))) * t.std;
    mean.push(m);
    lower.push(m - z * sd);
    upper.push(m + z * sd);
  });
  return { mean, lower, upper };
}

/** Training targets of a forecasting set: each observed target relative to its base, in target SDs. */
export function forecastTrainingTargets(encoding: ForecastEncoding, set: ForecastSet): TensorData {
  const k = encoding.targets.length;
  const n = set.ids.length;
  const values = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const base = forecastBase(encoding, set.lastValues, i);
    encoding.targets.forEach((t, j) => (values[i * k + j] = (set.y!.values[i * k + j]! - base[j]!) / t.std));
  }
  return { shape: [n, k], dtype: 'float32', values };
}

/**
 * What the engine trains a forecaster on from an encoded forecasting set: only the items where
 * every target is observed (the Gaussian loss has no mask), with targets as
 * {@link forecastTrainingTargets} (the model's output scale, not target units).
 */
export function forecastTrainingData(encoding: ForecastEncoding, set: ForecastSet): { x: TensorData; y: TensorData } {
  const k = encoding.targets.length;
  const rows: number[] = [];
  for (let i = 0; i < set.ids.length; i++) {
    let all = true;
    for (let j = 0; j < k; j++) if (Number.isNaN(set.y!.values[i * k + j]!)) all = false;
    if (all) rows.push(i);
  }
  const size = set.x.shape.slice(1).reduce((a, b) => a * b, 1);
  const x = new Float32Array(rows.length * size);
  rows.forEach((r, i) => x.set(set.x.values.subarray(r * size, (r + 1) * size), i * size));
  const kept: ForecastSet = {
    ...set,
    y: {
      shape: [rows.length, k],
      dtype: 'float32',
      values: Float32Array.from(rows.flatMap((r) => [...set.y!.values.subarray(r * k, (r + 1) * k)])),
    },
    lastValues: Float32Array.from(rows.flatMap((r) => [...set.lastValues.subarray(r * k, (r + 1) * k)])),
    ids: rows.map((r) => set.ids[r]!),
  };
  return {
    x: { shape: [rows.length, ...set.x.shape.slice(1)], dtype: 'float32', values: x },
    y: forecastTrainingTargets(encoding, kept),
  };
}

/** An encoded forecasting set: per (stay, anchor hour) item, also the carried-forward baseline. */
export interface ForecastSet extends EncodedSet {
  /** [n, targets] last values before each anchor (NaN when never measured). */
  readonly lastValues: Float32Array;
}

/** Encodes stays for a risk model; labels from `outcomes` when given. */
export function encodeRiskSet(
  metadata: BundleMetadata,
  stays: readonly (VitalsStay & { descriptors?: { recordId?: string } })[],
  ids: readonly string[],
  outcomes: ReadonlyMap<string, Readonly<Record<string, string>>> | null,
): EncodedSet {
  const input = vitalsInput(metadata);
  const encoding = riskEncoding(metadata);
  const classes = metadata.outputs.length;
  const skipped: { id: string; reason: string }[] = [];
  const keep: number[] = [];
  const labels: number[] = [];
  stays.forEach((_, i) => {
    if (outcomes === null) return keep.push(i);
    const value = outcomes.get(ids[i]!)?.[encoding.outcome];
    const label = value === undefined ? -1 : Number(value);
    if (!(Number.isInteger(label) && label >= 0 && label < classes))
      return skipped.push({ id: ids[i]!, reason: `no ${encoding.outcome} outcome` });
    keep.push(i);
    labels.push(label);
  });
  const size = riskRowSize(input, encoding);
  const x = new Float32Array(keep.length * size);
  keep.forEach((s, r) => x.set(encodeRiskRow(metadata, stays[s]!), r * size));
  let y: TensorData | null = null;
  if (outcomes !== null) {
    const oneHot = new Float32Array(keep.length * classes);
    labels.forEach((l, r) => (oneHot[r * classes + l] = 1));
    y = { shape: [keep.length, classes], dtype: 'float32', values: oneHot };
  }
  const keptIds = keep.map((s) => ids[s]!);
  return {
    x: {
      shape: [keep.length, input.timeSteps + encoding.summaryRows, 3 * input.variables.length],
      dtype: 'float32',
      values: x,
    },
    y,
    labels: outcomes === null ? null : Int32Array.from(labels),
    ids: keptIds,
    // One stay per patient in PhysioNet 2012 (RecordID identifies the patient).
    patientIds: keptIds,
    skipped,
  };
}

/**
 * Encodes stays for a forecaster: one item per (stay, anchor hour) whose window ends at the anchor,
 * with the next hour's observed targets (NaN where unobserved) in target units. Anchors where no
 * target is observed are left out; `requireAll` keeps only anchors where every target is observed
 * (training, whose Gaussian loss has no mask).
 */
export function encodeForecastSet(
  metadata: BundleMetadata,
  stays: readonly VitalsStay[],
  ids: readonly string[],
  options: { requireAll?: boolean } = {},
): ForecastSet {
  const input = vitalsInput(metadata);
  const encoding = forecastEncoding(metadata);
  const spec = binSpecOf(input);
  const k = encoding.targets.length;
  const size = input.timeSteps * 3 * input.variables.length;
  const rows: Float32Array[] = [];
  const targets: number[] = [];
  const last: number[] = [];
  const itemIds: string[] = [];
  const patientIds: string[] = [];
  stays.forEach((stay, s) => {
    const clean = cleanStay(stay);
    for (const hour of encoding.anchorHours) {
      const endMs = hour * HOUR_MS;
      const y = encoding.targets.map((t) => targetValue(clean, t, endMs, endMs + HOUR_MS));
      const observed = y.filter((v) => !Number.isNaN(v)).length;
      if (observed === 0 || (options.requireAll === true && observed < k)) continue;
      rows.push(binWindow(spec, clean, endMs));
      targets.push(...y);
      last.push(...encoding.targets.map((t) => lastValue(clean, t, endMs)));
      itemIds.push(`${ids[s]!}@${hour}h`);
      patientIds.push(ids[s]!);
    }
  });
  const x = new Float32Array(rows.length * size);
  rows.forEach((r, i) => x.set(r, i * size));
  return {
    x: { shape: [rows.length, input.timeSteps, 3 * input.variables.length], dtype: 'float32', values: x },
    y: { shape: [rows.length, k], dtype: 'float32', values: Float32Array.from(targets) },
    labels: null,
    ids: itemIds,
    patientIds,
    skipped: [],
    lastValues: Float32Array.from(last),
  };
}

/**
 * The vital-sign pipeline: reads a folder laid out like `vitals/physionet2012` (one `set-*` folder
 * of `Time,Parameter,Value` records with its `Outcomes-*.txt` beside it, or the `set-*` folder
 * itself) with the case store's parser and encodes it for a risk model or a forecaster.
 */
export function vitalsPipeline(task: 'vitals-risk' | 'vitals-forecast'): TaskPipeline {
  return {
    task,
    load(path: string, metadata: BundleMetadata, options: LoadOptions = {}): Promise<EncodedSet> {
      if (metadata.task !== task)
        return Promise.reject(new OslerError('invalid-input', `model ${metadata.name} is not a ${task} model`));
      const set = readPhysioNetSet(path, options.limit !== undefined ? { limit: options.limit } : {});
      const ids = set.stays.map((s) => s.descriptors.recordId);
      const encoded =
        task === 'vitals-risk'
          ? encodeRiskSet(metadata, set.stays, ids, set.outcomes)
          : encodeForecastSet(metadata, set.stays, ids);
      return Promise.resolve({ ...encoded, skipped: [...set.skipped, ...encoded.skipped] });
    },
  };
}

/** Pipeline of `vitals-risk` models (e.g. `icu-mortality`). */
export const vitalsRiskPipeline: TaskPipeline = vitalsPipeline('vitals-risk');
/** Pipeline of `vitals-forecast` models (e.g. `vitals-forecast`). */
export const vitalsForecastPipeline: TaskPipeline = vitalsPipeline('vitals-forecast');
