/** One irregularly sampled variable (structurally the vitals importer's `StaySeries`). */
export interface SeriesInput {
  readonly parameter: string;
  /** Time from admission of each sample, ms. */
  readonly timesMs: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

/** A stay: its series. */
export interface StayInput {
  readonly series: readonly SeriesInput[];
}

/**
 * How stays become model inputs; fitted on training stays only and stored with the model.
 * Each time step holds, per variable: the z-scored last value (carried forward; 0 = the training
 * mean before the first sample), a mask (1 if measured in this bin) and the time since it was
 * last seen as a fraction of the window (1 if never).
 */
export interface BinSpec {
  readonly version: 1;
  readonly variables: readonly string[];
  readonly bins: number;
  readonly binMs: number;
  /** Per-variable training mean and standard deviation of measured values. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Features per time step for a spec: values, masks, time-since-last-seen. */
export function featuresPerStep(spec: BinSpec): number {
  return spec.variables.length * 3;
}

const Z_CLIP = 5;

/**
 * Fits normalisation statistics on training stays. Variables default to those measured in at
 * least `minStayFraction` of the stays, sorted by name so the layout is reproducible.
 */
export function fitBinSpec(
  stays: readonly StayInput[],
  options: { variables?: readonly string[]; bins?: number; binMinutes?: number; minStayFraction?: number } = {},
): BinSpec {
  const { bins = 48, binMinutes = 60, minStayFraction = 0.05 } = options;
  const seen = new Map<string, { stays: number; n: number; sum: number; sumSq: number }>();
  for (const stay of stays) {
    for (const s of stay.series) {
      let acc = seen.get(s.parameter);
      if (acc === undefined) seen.set(s.parameter, (acc = { stays: 0, n: 0, sum: 0, sumSq: 0 }));
      acc.stays++;
      for (let i = 0; i < s.values.length; i++) {
        const v = s.values[i]!;
        if (!Number.isFinite(v)) continue;
        acc.n++;
        acc.sum += v;
        acc.sumSq += v * v;
      }
    }
  }
  const variables =
    options.variables ??
    [...seen]
      .filter(([, a]) => a.stays >= minStayFraction * stays.length)
      .map(([name]) => name)
      .sort();
  const mean: number[] = [];
  const std: number[] = [];
  for (const name of variables) {
    const a = seen.get(name);
    const m = a !== undefined && a.n > 0 ? a.sum / a.n : 0;
    const variance = a !== undefined && a.n > 1 ? Math.max(0, a.sumSq / a.n - m * m) : 1;
    mean.push(m);
    std.push(Math.max(Math.sqrt(variance), 1e-6));
  }
  return { version: 1, variables, bins, binMs: binMinutes * 60_000, mean, std };
}

/** One stay as a row-major [bins, 3 * variables] matrix (see {@link BinSpec}). */
export function binStay(spec: BinSpec, stay: StayInput): Float32Array {
  const v = spec.variables.length;
  const width = 3 * v;
  const out = new Float32Array(spec.bins * width);
  const windowMs = spec.bins * spec.binMs;
  const byName = new Map(stay.series.map((s) => [s.parameter, s]));
  spec.variables.forEach((name, j) => {
    const s = byName.get(name);
    // Last z-scored value per bin (samples sorted by time within a series).
    const last = new Float32Array(spec.bins).fill(Number.NaN);
    if (s !== undefined) {
      for (let i = 0; i < s.values.length; i++) {
        const t = s.timesMs[i]!;
        const x = s.values[i]!;
        if (!(t >= 0 && t < windowMs) || !Number.isFinite(x)) continue;
        const z = (x - spec.mean[j]!) / spec.std[j]!;
        last[Math.floor(t / spec.binMs)] = Math.max(-Z_CLIP, Math.min(Z_CLIP, z));
      }
    }
    let carried = 0;
    let lastSeenBin = -1;
    for (let b = 0; b < spec.bins; b++) {
      const row = b * width;
      const measured = !Number.isNaN(last[b]!);
      if (measured) {
        carried = last[b]!;
        lastSeenBin = b;
      }
      out[row + j] = carried;
      out[row + v + j] = measured ? 1 : 0;
      out[row + 2 * v + j] = lastSeenBin < 0 ? 1 : (b - lastSeenBin) / spec.bins;
    }
  });
  return out;
}

/**
 * The central `level` prediction interval of a Gaussian forecast with mean `mean` and log-variance
 * `logVariance` (the forecaster's two outputs per target).
 */
export function gaussianInterval(mean: number, logVariance: number, level = 0.9): { low: number; high: number } {
  const z = normalQuantile(0.5 + level / 2);
  const sd = Math.exp(0.5 * logVariance);
  return { low: mean - z * sd, high: mean + z * sd };
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('p must be in (0, 1)');
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}
