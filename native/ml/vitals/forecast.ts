import type { BinSpec, SeriesInput, StayInput } from './features.js';

/** A forecast target: the mean of `variable` over the next bin, else of `fallback` (e.g. MAP, else NIMAP). */
export interface ForecastTarget {
  /** Output name, e.g. `hr`. */
  readonly name: string;
  readonly variable: string;
  readonly fallback?: string;
}

const Z_CLIP = 5;

/**
 * The `spec.bins` bins ending at `endMs` (the window [endMs - bins * binMs, endMs)), laid out like
 * {@link binStay}: per variable the z-scored last value carried forward, the mask and the time
 * since last seen as a fraction of the window. Unlike `binStay`, a value measured before the window
 * starts is carried into it (with its age), so a window inside a stay sees the latest known state.
 */
export function binWindow(spec: BinSpec, stay: StayInput, endMs: number): Float32Array {
  const v = spec.variables.length;
  const width = 3 * v;
  const out = new Float32Array(spec.bins * width);
  const startMs = endMs - spec.bins * spec.binMs;
  const byName = new Map(stay.series.map((s) => [s.parameter, s]));
  spec.variables.forEach((name, j) => {
    const s = byName.get(name);
    const last = new Float32Array(spec.bins).fill(Number.NaN);
    let before = Number.NaN;
    let beforeMs = -Infinity;
    if (s !== undefined) {
      for (let i = 0; i < s.values.length; i++) {
        const t = s.timesMs[i]!;
        const x = s.values[i]!;
        if (!Number.isFinite(x) || !(t < endMs)) continue;
        const z = Math.max(-Z_CLIP, Math.min(Z_CLIP, (x - spec.mean[j]!) / spec.std[j]!));
        if (t < startMs) {
          if (t >= beforeMs) {
            beforeMs = t;
            before = z;
          }
        } else last[Math.floor((t - startMs) / spec.binMs)] = z;
      }
    }
    let carried = Number.isNaN(before) ? 0 : before;
    // Bins since last seen; a value from before the window counts from its own bin.
    let lastSeenBin = Number.isNaN(before) ? Number.NaN : Math.floor((beforeMs - startMs) / spec.binMs);
    for (let b = 0; b < spec.bins; b++) {
      const row = b * width;
      const measured = !Number.isNaN(last[b]!);
      if (measured) {
        carried = last[b]!;
        lastSeenBin = b;
      }
      out[row + j] = carried;
      out[row + v + j] = measured ? 1 : 0;
      out[row + 2 * v + j] = Number.isNaN(lastSeenBin) ? 1 : Math.min(1, (b - lastSeenBin) / spec.bins);
    }
  });
  return out;
}

function seriesOf(stay: StayInput, name: string | undefined): SeriesInput | undefined {
  return name === undefined ? undefined : stay.series.find((s) => s.parameter === name);
}

function meanIn(s: SeriesInput | undefined, fromMs: number, toMs: number): number {
  if (s === undefined) return Number.NaN;
  let n = 0;
  let sum = 0;
  for (let i = 0; i < s.values.length; i++) {
    const t = s.timesMs[i]!;
    const x = s.values[i]!;
    if (t >= fromMs && t < toMs && Number.isFinite(x)) {
      n++;
      sum += x;
    }
  }
  return n > 0 ? sum / n : Number.NaN;
}

function lastBefore(s: SeriesInput | undefined, toMs: number): { value: number; tMs: number } {
  let value = Number.NaN;
  let tMs = -Infinity;
  if (s !== undefined)
    for (let i = 0; i < s.values.length; i++) {
      const t = s.timesMs[i]!;
      const x = s.values[i]!;
      if (t < toMs && t >= tMs && Number.isFinite(x)) {
        tMs = t;
        value = x;
      }
    }
  return { value, tMs };
}

/** The observed target over [fromMs, toMs): mean of the variable, else of its fallback; NaN if neither. */
export function targetValue(stay: StayInput, target: ForecastTarget, fromMs: number, toMs: number): number {
  const primary = meanIn(seriesOf(stay, target.variable), fromMs, toMs);
  return Number.isNaN(primary) ? meanIn(seriesOf(stay, target.fallback), fromMs, toMs) : primary;
}

/**
 * Last-value-carried-forward forecast of a target at `toMs`: the latest sample of the variable or
 * its fallback before `toMs` (the baseline a forecaster must beat); NaN if never measured.
 */
export function lastValue(stay: StayInput, target: ForecastTarget, toMs: number): number {
  const a = lastBefore(seriesOf(stay, target.variable), toMs);
  const b = lastBefore(seriesOf(stay, target.fallback), toMs);
  if (Number.isNaN(a.value)) return b.value;
  if (Number.isNaN(b.value)) return a.value;
  return b.tMs > a.tMs ? b.value : a.value;
}
