import { OslerError } from '../../contract/result.js';

/** Probabilities are clamped to at least this before a logarithm (log loss, temperature scaling). */
export const PROBABILITY_FLOOR = 1e-15;

/** One equal-width confidence bin of a reliability diagram. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  /**
   * Items whose top-class confidence falls in [lower, upper) (the last bin also takes 1); an edge is
   * compared at float32 precision, so a stored 0.7 starts the 0.7 bin.
   */
  count: number;
  /** Mean top-class confidence of the bin's items; 0 when the bin is empty (plot only count > 0). */
  meanConfidence: number;
  /** Fraction of the bin's items whose top class is the true class; 0 when the bin is empty. */
  accuracy: number;
}

/** Top-class index of row `i` of a row-major n x k matrix; the first of tied maxima wins (like argmax). */
export function argmaxRow(probs: ArrayLike<number>, k: number, i: number): number {
  let best = 0;
  let bestValue = probs[i * k]!;
  for (let c = 1; c < k; c++) {
    const v = probs[i * k + c]!;
    if (v > bestValue) {
      best = c;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Expected calibration error of the top-class confidence over `bins` equal-width bins on [0, 1]:
 * sum over bins of (bin count / n) x |bin accuracy - bin mean confidence|, with the bins themselves
 * for a reliability diagram.
 */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
  bins = 10,
): { ece: number; reliability: ReliabilityBin[] } {
  if (!Number.isInteger(bins) || bins < 1) throw new OslerError('invalid-input', `bins must be >= 1; got ${bins}.`);
  const n = labels.length;
  const count = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const top = argmaxRow(probs, k, i);
    const p = probs[i * k + top]!;
    let b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    // A float32 0.7 is 0.69999998: count it at the edge it stands for, not in the bin below.
    if (b + 1 < bins && p >= Math.fround((b + 1) / bins)) b++;
    count[b]!++;
    confidence[b]! += p;
    if (top === labels[i]) correct[b]!++;
  }
  let ece = 0;
  const reliability: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const c = count[b]!;
    const meanConfidence = c > 0 ? confidence[b]! / c : 0;
    const accuracy = c > 0 ? correct[b]! / c : 0;
    if (c > 0) ece += (c / n) * Math.abs(accuracy - meanConfidence);
    reliability.push({ lower: b / bins, upper: (b + 1) / bins, count: c, meanConfidence, accuracy });
  }
  return { ece: n > 0 ? ece : Number.NaN, reliability };
}

function checkMatrix(probs: ArrayLike<number>, k: number, n?: number): number {
  if (!Number.isInteger(k) || k < 2) throw new OslerError('invalid-input', `Need at least 2 classes; got ${k}.`);
  if (probs.length % k !== 0) {
    throw new OslerError('invalid-input', `${probs.length} probabilities is not a whole number of rows of ${k}.`);
  }
  const rows = probs.length / k;
  if (n !== undefined && rows !== n) throw new OslerError('invalid-input', `${rows} probability rows but ${n} labels.`);
  return rows;
}

/** Mean negative log-likelihood of softmax(log(p) / T), from precomputed clamped logs. */
function temperatureNll(logs: Float64Array, labels: ArrayLike<number>, k: number, temperature: number): number {
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logs[i * k + c]! / temperature);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logs[i * k + c]! / temperature - max);
    total += max + Math.log(sum) - logs[i * k + labels[i]!]! / temperature;
  }
  return total / n;
}

const LOG_T_MIN = Math.log(0.05);
const LOG_T_MAX = Math.log(20);

/**
 * The temperature T in [0.05, 20] minimising the mean NLL of softmax(log(p) / T) on validation
 * probabilities (row-major n x k) and labels. The NLL is convex in 1/T, hence unimodal in log T, so a
 * golden-section search on log T finds it; probabilities are clamped to {@link PROBABILITY_FLOOR} so a
 * zero cannot produce -Infinity. T > 1 softens over-confident outputs.
 */
export function fitTemperature(probs: Float32Array, labels: Int32Array, k: number): number {
  const n = checkMatrix(probs, k, labels.length);
  if (n === 0) throw new OslerError('invalid-input', 'Cannot fit a temperature on zero items.');
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!(y >= 0 && y < k)) throw new OslerError('invalid-input', `Label ${y} of item ${i} is not a class index.`);
  }
  const logs = new Float64Array(probs.length);
  for (let j = 0; j < probs.length; j++) {
    const p = probs[j]!;
    if (!(p >= 0)) throw new OslerError('invalid-input', `Probability ${j} is ${p}.`);
    logs[j] = Math.log(Math.max(p, PROBABILITY_FLOOR));
  }
  const nll = (u: number) => temperatureNll(logs, labels, k, Math.exp(u));
  const ratio = (Math.sqrt(5) - 1) / 2;
  let a = LOG_T_MIN;
  let b = LOG_T_MAX;
  let x1 = b - ratio * (b - a);
  let x2 = a + ratio * (b - a);
  let f1 = nll(x1);
  let f2 = nll(x2);
  // 60 steps shrink the log-T interval by 0.618^60 ~ 3e-13: far below any meaningful difference.
  for (let step = 0; step < 60; step++) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - ratio * (b - a);
      f1 = nll(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + ratio * (b - a);
      f2 = nll(x2);
    }
  }
  return Math.exp((a + b) / 2);
}

/**
 * Rescales row-major n x k probabilities by a temperature: softmax(log(p) / T) per row, as a new
 * array. T = 1 returns the (renormalised) input; T > 1 flattens, T < 1 sharpens. With per-class
 * `offsets` b (see {@link fitClassOffsets}) it is softmax((log(p) + b) / T).
 */
export function applyTemperature(
  probs: Float32Array,
  k: number,
  temperature: number,
  offsets?: readonly number[],
): Float32Array {
  const n = checkMatrix(probs, k);
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new OslerError('invalid-input', `Temperature must be a positive number; got ${temperature}.`);
  }
  if (offsets !== undefined && (offsets.length !== k || !offsets.every((b) => Number.isFinite(b))))
    throw new OslerError('invalid-input', `Class offsets must be ${k} finite numbers; got ${offsets.length}.`);
  const out = new Float32Array(probs.length);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      row[c] = (Math.log(Math.max(probs[i * k + c]!, PROBABILITY_FLOOR)) + (offsets?.[c] ?? 0)) / temperature;
      max = Math.max(max, row[c]!);
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      row[c] = Math.exp(row[c]! - max);
      sum += row[c]!;
    }
    for (let c = 0; c < k; c++) out[i * k + c] = row[c]! / sum;
  }
  return out;
}

/** Macro-F1 of the arg-max of log(p) + offsets (classes absent from `labels` and never predicted skipped). */
function offsetMacroF1(logs: Float64Array, labels: Int32Array, k: number, offsets: Float64Array): number {
  const tp = new Float64Array(k);
  const predicted = new Float64Array(k);
  const actual = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (logs[i * k + c]! + offsets[c]! > logs[i * k + best]! + offsets[best]!) best = c;
    predicted[best]!++;
    actual[labels[i]!]!++;
    if (best === labels[i]) tp[best]!++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    if (actual[c] === 0 && predicted[c] === 0) continue;
    present++;
    sum += (2 * tp[c]!) / (actual[c]! + predicted[c]!);
  }
  return present === 0 ? 0 : sum / present;
}

/**
 * Per-class offsets b on the log-probabilities, chosen so that the arg-max of log(p) + b maximises
 * macro-F1 on held-out probabilities (row-major n x k) and labels: coordinate ascent over a grid of
 * [-1, 1] in steps of 0.05, a few sweeps, ties kept at the smaller change. Returned with mean 0
 * (a common shift changes nothing). Decision offsets trade a little calibration and accuracy for
 * recall of the rarer classes; fit them on predictions the model did not train on (out-of-fold).
 */
export function fitClassOffsets(probs: Float32Array, labels: Int32Array, k: number): number[] {
  const n = checkMatrix(probs, k, labels.length);
  if (n === 0) throw new OslerError('invalid-input', 'Cannot fit class offsets on zero items.');
  const logs = new Float64Array(probs.length);
  for (let j = 0; j < probs.length; j++) logs[j] = Math.log(Math.max(probs[j]!, PROBABILITY_FLOOR));
  const offsets = new Float64Array(k);
  let score = offsetMacroF1(logs, labels, k, offsets);
  for (let sweep = 0; sweep < 4; sweep++) {
    let changed = false;
    for (let c = 0; c < k; c++) {
      const kept = offsets[c]!;
      let best = kept;
      for (let step = -20; step <= 20; step++) {
        const v = step / 20;
        offsets[c] = v;
        const s = offsetMacroF1(logs, labels, k, offsets);
        if (s > score + 1e-12 || (s === score && Math.abs(v - kept) < Math.abs(best - kept) - 1e-12)) {
          if (s > score + 1e-12) changed = true;
          score = Math.max(score, s);
          best = v;
        }
      }
      offsets[c] = best;
    }
    if (!changed) break;
  }
  const mean = offsets.reduce((a, b) => a + b, 0) / k;
  return Array.from(offsets, (b) => Math.round((b - mean) * 1e4) / 1e4);
}
