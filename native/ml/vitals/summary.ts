import type { SeriesInput, StayInput } from './features.js';

/** Static descriptors of a stay (the PhysioNet 2012 general descriptors); null = unknown. */
export interface StayStatics {
  readonly ageYears?: number | null;
  /** 0 female, 1 male. */
  readonly gender?: number | null;
  readonly heightCm?: number | null;
  readonly weightKg?: number | null;
  /** 1 coronary care, 2 cardiac surgery recovery, 3 medical, 4 surgical. */
  readonly icuType?: number | null;
}

/** A stay as the vital-sign models read it: irregular series plus optional static descriptors. */
export interface VitalsStay extends StayInput {
  readonly descriptors?: StayStatics;
}

/** Per-variable statistics over the observation window, in feature order. */
export const SUMMARY_STATS = ['min', 'max', 'mean', 'first', 'last', 'measured', 'count'] as const;
/** One summary statistic. */
export type SummaryStat = (typeof SUMMARY_STATS)[number];

/** Static features, in feature order (ICU type one-hot), then the total urine output (log). */
export const STATIC_FEATURES = [
  'age',
  'gender',
  'height',
  'heightKnown',
  'weight',
  'icuCoronary',
  'icuCardiacSurgery',
  'icuMedical',
  'icuSurgical',
  'urineTotal',
] as const;

/** Variables whose values are summarised on a log scale (long right tails: labs, urine). */
export const LOG_VARIABLES: readonly string[] = [
  'ALP',
  'ALT',
  'AST',
  'Bilirubin',
  'BUN',
  'Creatinine',
  'Glucose',
  'Lactate',
  'PaO2',
  'Platelets',
  'TroponinI',
  'TroponinT',
  'Urine',
  'WBC',
];

/** Variables where 0 is a real value; in every other variable a value <= 0 is a recording error. */
const ZERO_ALLOWED = new Set(['Urine', 'MechVent']);

/**
 * How a stay becomes a vector of per-variable summaries (min, max, mean, first, last over the
 * window, whether measured and log sample count) plus static descriptors; z-scored with
 * training-split statistics. Missing summaries are 0 (the training mean) and flagged by `measured`.
 */
export interface SummarySpec {
  readonly version: 1;
  readonly variables: readonly string[];
  /** Only samples with time in [0, windowMs) count. */
  readonly windowMs: number;
  readonly logVariables: readonly string[];
  /** Per feature (see {@link summaryFeatureNames}): training mean and SD. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Feature names of a spec, in order. */
export function summaryFeatureNames(variables: readonly string[]): string[] {
  return [...variables.flatMap((v) => SUMMARY_STATS.map((s) => `${v}.${s}`)), ...STATIC_FEATURES];
}

/** A series without recording errors (non-finite values, and values <= 0 where 0 is impossible). */
export function cleanSeries(series: SeriesInput): SeriesInput {
  const keepZero = ZERO_ALLOWED.has(series.parameter);
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < series.values.length; i++) {
    const x = series.values[i]!;
    if (!Number.isFinite(x) || (keepZero ? x < 0 : x <= 0)) continue;
    t.push(series.timesMs[i]!);
    v.push(x);
  }
  return { parameter: series.parameter, timesMs: Float64Array.from(t), values: Float32Array.from(v) };
}

/** A stay with every series cleaned (see {@link cleanSeries}). */
export function cleanStay<S extends VitalsStay>(stay: S): VitalsStay {
  return {
    series: stay.series.map(cleanSeries),
    ...(stay.descriptors !== undefined ? { descriptors: stay.descriptors } : {}),
  };
}

/** Raw (un-normalised) summary vector of one stay; NaN where a statistic is undefined. */
function rawSummary(
  variables: readonly string[],
  windowMs: number,
  logVariables: ReadonlySet<string>,
  stay: VitalsStay,
): Float64Array {
  const k = SUMMARY_STATS.length;
  const out = new Float64Array(variables.length * k + STATIC_FEATURES.length).fill(Number.NaN);
  const byName = new Map(stay.series.map((s) => [s.parameter, s]));
  variables.forEach((name, j) => {
    const s = byName.get(name);
    const log = logVariables.has(name);
    let n = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let first = Number.NaN;
    let firstT = Infinity;
    let last = Number.NaN;
    let lastT = -Infinity;
    if (s !== undefined) {
      for (let i = 0; i < s.values.length; i++) {
        const t = s.timesMs[i]!;
        let x = s.values[i]!;
        if (!(t >= 0 && t < windowMs) || !Number.isFinite(x)) continue;
        if (log) x = Math.log1p(Math.max(0, x));
        n++;
        min = Math.min(min, x);
        max = Math.max(max, x);
        sum += x;
        if (t < firstT) {
          firstT = t;
          first = x;
        }
        if (t >= lastT) {
          lastT = t;
          last = x;
        }
      }
    }
    const o = j * k;
    if (n > 0) {
      out[o] = min;
      out[o + 1] = max;
      out[o + 2] = sum / n;
      out[o + 3] = first;
      out[o + 4] = last;
    }
    out[o + 5] = n > 0 ? 1 : 0;
    out[o + 6] = Math.log1p(n);
  });
  const d = stay.descriptors ?? {};
  const known = (x: number | null | undefined) => (x === null || x === undefined || !(x > 0) ? Number.NaN : x);
  const o = variables.length * k;
  out[o] = known(d.ageYears);
  out[o + 1] = d.gender === 0 || d.gender === 1 ? d.gender : Number.NaN;
  const height = known(d.heightCm);
  // Heights outside 100-250 cm are recording errors in this data (e.g. 13 cm).
  out[o + 2] = height >= 100 && height <= 250 ? height : Number.NaN;
  out[o + 3] = Number.isNaN(out[o + 2]!) ? 0 : 1;
  const weightSeries = byName.get('Weight');
  let weight = known(d.weightKg);
  if (Number.isNaN(weight) && weightSeries !== undefined && weightSeries.values.length > 0)
    weight = known(weightSeries.values[0]);
  out[o + 4] = weight;
  for (let c = 0; c < 4; c++) out[o + 5 + c] = d.icuType === c + 1 ? 1 : 0;
  // Total urine output over the window (mL, log): low output is a strong sign of organ failure.
  const urine = byName.get('Urine');
  let urineSum = 0;
  if (urine !== undefined)
    for (let i = 0; i < urine.values.length; i++) {
      const t = urine.timesMs[i]!;
      if (t >= 0 && t < windowMs && Number.isFinite(urine.values[i]!)) urineSum += Math.max(0, urine.values[i]!);
    }
  out[o + 9] = Math.log1p(urineSum);
  return out;
}

/** Fits a summary spec's normalisation on training stays (already cleaned). */
export function fitSummarySpec(
  stays: readonly VitalsStay[],
  variables: readonly string[],
  options: { windowMs?: number; logVariables?: readonly string[] } = {},
): SummarySpec {
  const windowMs = options.windowMs ?? 48 * 3_600_000;
  const logVariables = options.logVariables ?? LOG_VARIABLES.filter((v) => variables.includes(v));
  const logSet = new Set(logVariables);
  const width = variables.length * SUMMARY_STATS.length + STATIC_FEATURES.length;
  const n = new Float64Array(width);
  const sum = new Float64Array(width);
  const sumSq = new Float64Array(width);
  for (const stay of stays) {
    const raw = rawSummary(variables, windowMs, logSet, stay);
    for (let f = 0; f < width; f++) {
      const x = raw[f]!;
      if (Number.isNaN(x)) continue;
      n[f]!++;
      sum[f]! += x;
      sumSq[f]! += x * x;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let f = 0; f < width; f++) {
    const m = n[f]! > 0 ? sum[f]! / n[f]! : 0;
    const variance = n[f]! > 1 ? Math.max(0, sumSq[f]! / n[f]! - m * m) : 1;
    mean.push(m);
    std.push(Math.max(Math.sqrt(variance), 1e-6));
  }
  return { version: 1, variables: [...variables], windowMs, logVariables: [...logVariables], mean, std };
}

const Z_CLIP = 5;

/** One stay's normalised summary vector (length = {@link summaryFeatureNames}). */
export function summariseStay(spec: SummarySpec, stay: VitalsStay): Float32Array {
  const raw = rawSummary(spec.variables, spec.windowMs, new Set(spec.logVariables), stay);
  const out = new Float32Array(raw.length);
  for (let f = 0; f < raw.length; f++) {
    const x = raw[f]!;
    out[f] = Number.isNaN(x) ? 0 : Math.max(-Z_CLIP, Math.min(Z_CLIP, (x - spec.mean[f]!) / spec.std[f]!));
  }
  return out;
}

/** One stay's raw summary vector (NaN = missing), for tree baselines that need no normalisation. */
export function rawSummaryOf(spec: SummarySpec, stay: VitalsStay): Float64Array {
  return rawSummary(spec.variables, spec.windowMs, new Set(spec.logVariables), stay);
}
