/**
 * Where model output will be drawn on the vitals charts once the ML engine serves it. Nothing
 * produces these yet: the state holds null and the charts draw nothing. A future forecast or
 * risk channel maps its answer onto these shapes and the charts pick them up unchanged.
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

/** A risk score and the time windows that drove it (weights in [0, 1]). */
export interface RiskAssessment {
  readonly task: string;
  readonly modelVersion: string;
  readonly score: number;
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

/** The shading of a risk assessment's windows, stronger for heavier windows. */
export function riskShades(risk: RiskAssessment | null): Shade[] {
  if (risk === null) return [];
  return risk.windows.map((w) => ({
    fromMs: w.fromMs,
    toMs: w.toMs,
    color: `rgba(226, 100, 90, ${(0.08 + 0.27 * Math.min(1, Math.max(0, w.weight))).toFixed(2)})`,
    label: `${risk.task} ${Math.round(w.weight * 100)}%`,
  }));
}
