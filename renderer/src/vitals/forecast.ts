/**
 * Model output on the vitals charts: forecasts drawn ahead of the last value with their interval,
 * and a risk score with the time windows that drove it shaded. Mapped here from `predict.run`
 * and `explain.run` answers (see vitalsModels.svelte.ts).
 */

/** A forecast of one signal ahead of its last value, with a central prediction interval. */
export interface Forecast {
  readonly signal: string;
  readonly modelVersion: string;
  /** Interval coverage, e.g. 0.9 for a 90% interval. */
  readonly level: number;
  readonly tMs: readonly number[];
  readonly mean: readonly number[];
  readonly lower: readonly number[];
  readonly upper: readonly number[];
}

/**
 * A risk score and the time windows that drove it: weight in [-1, 1], positive where the window
 * raised the risk, negative where it lowered it, 1 for the strongest.
 */
export interface RiskAssessment {
  readonly task: string;
  readonly modelVersion: string;
  readonly score: number;
  /** Signals that drove the score most, strongest first. */
  readonly drivers?: readonly string[];
  readonly windows: ReadonlyArray<{ readonly fromMs: number; readonly toMs: number; readonly weight: number }>;
}

/** A shaded time span on a chart (a labelled window, a risk window). */
export interface Shade {
  readonly fromMs: number;
  readonly toMs: number;
  /** CSS colour with alpha. */
  readonly color: string;
  readonly label: string;
}

/** The shading of a risk assessment's windows: red where they raised the risk, blue where they lowered it, stronger for heavier ones. */
export function riskShades(risk: RiskAssessment | null): Shade[] {
  if (risk === null) return [];
  return risk.windows.map((w) => {
    const a = (0.1 + 0.25 * Math.min(1, Math.abs(w.weight))).toFixed(2);
    return {
      fromMs: w.fromMs,
      toMs: w.toMs,
      color: w.weight >= 0 ? `rgba(226, 100, 90, ${a})` : `rgba(79, 140, 224, ${a})`,
      label: `${risk.task}: ${w.weight >= 0 ? 'raised' : 'lowered'} ${Math.round(Math.abs(w.weight) * 100)}%`,
    };
  });
}

/** A forecaster's target as its bundle records it (`input.options.targets`). */
export interface ForecastTarget {
  readonly name: string;
  readonly variable: string;
  readonly fallback?: string;
}

/** Targets and interval level a forecaster's metadata records; targets named after their outputs when absent. */
export function forecastSpecOf(
  metadata: Readonly<Record<string, unknown>>,
  outputs: readonly string[],
): { targets: ForecastTarget[]; level: number } {
  const input = metadata.input as { options?: { targets?: unknown } } | undefined;
  const raw = input?.options?.targets;
  const targets = Array.isArray(raw)
    ? (raw as ForecastTarget[]).filter((t) => typeof t?.name === 'string' && typeof t.variable === 'string')
    : outputs.map((name) => ({ name, variable: name.toUpperCase() }));
  const level = typeof metadata.intervalLevel === 'number' ? metadata.intervalLevel : 0.9;
  return { targets, level };
}

/** The last observed point of a signal before `beforeMs`, from a loaded window. */
export interface LastPoint {
  readonly tMs: number;
  readonly value: number;
}

/**
 * One drawable forecast per target: a fan from the last observed value of the signal the target
 * reads (its variable, else its fallback, whichever was seen last) to the forecast mean and
 * interval at `forecastAtMs`. Targets whose signal the recording lacks are left out.
 */
export function forecastsOf(input: {
  readonly modelVersion: string;
  readonly level: number;
  readonly targets: readonly ForecastTarget[];
  readonly outputs: readonly string[];
  readonly values: readonly { readonly mean: number; readonly low: number; readonly high: number }[];
  readonly forecastAtMs: number;
  /** Last value of each target at the anchor (stored with the prediction), when known. */
  readonly lastValues?: readonly (number | null)[];
  /** Last point of each signal of the recording, by signal name. */
  readonly last: (signal: string) => LastPoint | null;
}): Forecast[] {
  const out: Forecast[] = [];
  input.targets.forEach((t, j) => {
    const v = input.values[input.outputs.indexOf(t.name) >= 0 ? input.outputs.indexOf(t.name) : j];
    if (!v) return;
    const candidates = [t.variable, t.fallback].filter((s): s is string => typeof s === 'string');
    const seen = candidates
      .map((signal) => ({ signal, point: input.last(signal) }))
      .filter((c) => c.point !== null && c.point.tMs < input.forecastAtMs)
      .sort((a, b) => b.point!.tMs - a.point!.tMs)[0];
    if (!seen) return;
    const anchor = input.lastValues?.[j];
    const startValue = typeof anchor === 'number' && Number.isFinite(anchor) ? anchor : seen.point!.value;
    out.push({
      signal: seen.signal,
      modelVersion: input.modelVersion,
      level: input.level,
      tMs: [seen.point!.tMs, input.forecastAtMs],
      mean: [startValue, v.mean],
      lower: [startValue, v.low],
      upper: [startValue, v.high],
    });
  });
  return out;
}

/**
 * The time windows that drove a risk score: steps whose attribution (toward the risk class) is at
 * least `minShare` of the strongest in magnitude, with their signed share as weight; adjacent
 * steps pushing the same way merge into one window.
 */
export function riskWindowsOf(
  steps: { readonly stepStartsMs: readonly number[]; readonly stepHours: number; readonly scores: readonly number[] },
  minShare = 0.35,
): RiskAssessment['windows'] {
  const max = steps.scores.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
  if (!(max > 0) || !Number.isFinite(max)) return [];
  const stepMs = steps.stepHours * 3_600_000;
  const windows: { fromMs: number; toMs: number; weight: number }[] = [];
  steps.scores.forEach((s, i) => {
    const weight = s / max;
    const fromMs = steps.stepStartsMs[i];
    if (Math.abs(weight) < minShare || fromMs === undefined || fromMs + stepMs <= 0) return;
    const prev = windows[windows.length - 1];
    if (prev && Math.abs(prev.toMs - fromMs) < 1 && Math.sign(prev.weight) === Math.sign(weight)) {
      prev.toMs = fromMs + stepMs;
      if (Math.abs(weight) > Math.abs(prev.weight)) prev.weight = weight;
    } else windows.push({ fromMs: Math.max(0, fromMs), toMs: fromMs + stepMs, weight });
  });
  return windows;
}
