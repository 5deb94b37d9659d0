import { OslerError } from '../../contract/result.js';

/**
 * Scores sorted once, ascending, with their tie groups: every ranking metric (AUC, average precision,
 * ROC curve, and each bootstrap round) is a linear pass over these groups.
 */
export interface RankedScores {
  /** Item indices in ascending score order. */
  readonly order: Int32Array;
  /** Exclusive end position (into `order`) of each group of tied scores, ascending. */
  readonly groupEnds: Int32Array;
  /** The score of each group. */
  readonly groupScores: Float64Array;
  /** 1 at each position of `order` that closes a tie group, so hot loops need no nested group loop. */
  readonly closesGroup: Uint8Array;
}

/**
 * Sorts `n` scores read as `scores[offset + i * stride]` (one column of a row-major matrix when
 * `stride` is the number of columns). Throws `invalid-input` on a NaN score, which has no rank.
 */
export function rankScores(scores: ArrayLike<number>, n = scores.length, stride = 1, offset = 0): RankedScores {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = scores[offset + i * stride]!;
    if (Number.isNaN(v)) throw new OslerError('invalid-input', `Score ${i} is NaN; ranking metrics need numbers.`);
    values[i] = v;
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ends: number[] = [];
  const groupScores: number[] = [];
  for (let i = 0; i < n;) {
    const s = values[order[i]!]!;
    let j = i + 1;
    while (j < n && values[order[j]!] === s) j++;
    ends.push(j);
    groupScores.push(s);
    i = j;
  }
  const closesGroup = new Uint8Array(n);
  for (const end of ends) closesGroup[end - 1] = 1;
  return { order, groupEnds: Int32Array.from(ends), groupScores: Float64Array.from(groupScores), closesGroup };
}

/**
 * Mann–Whitney AUC over ranked scores with ties counted half. `positive[i]` is 1 for a positive item, 0
 * otherwise;
 * `weights[i]` (optional) is how many times item i counts, which is how a bootstrap resample is
 * scored without re-sorting. NaN when the (weighted) positives or negatives are absent.
 */
export function rankedAuc(ranked: RankedScores, positive: Uint8Array, weights?: Int32Array): number {
  const { order, closesGroup } = ranked;
  let negativesBelow = 0;
  let positives = 0;
  let pairs = 0;
  let p = 0;
  let q = 0;
  for (let t = 0; t < order.length; t++) {
    const i = order[t]!;
    const w = weights ? weights[i]! : 1;
    // Branch-free: the label sequence is unpredictable, and this loop runs k x n x rounds times.
    const wp = w * positive[i]!;
    p += wp;
    q += w - wp;
    if (closesGroup[t]) {
      pairs += p * (negativesBelow + q / 2);
      negativesBelow += q;
      positives += p;
      p = 0;
      q = 0;
    }
  }
  if (positives === 0 || negativesBelow === 0) return Number.NaN;
  return pairs / (positives * negativesBelow);
}

/**
 * Average precision over ranked scores, step-wise like sklearn's `average_precision_score`:
 * sum over distinct thresholds (descending) of (recall gain) x (precision at that threshold).
 * NaN when there are no positives.
 */
export function rankedAveragePrecision(ranked: RankedScores, positive: Uint8Array): number {
  const { order, groupEnds } = ranked;
  let total = 0;
  for (let t = 0; t < order.length; t++) if (positive[order[t]!]) total++;
  if (total === 0) return Number.NaN;
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let g = groupEnds.length - 1; g >= 0; g--) {
    const start = g === 0 ? 0 : groupEnds[g - 1]!;
    let p = 0;
    for (let t = start; t < groupEnds[g]!; t++) if (positive[order[t]!]) p++;
    tp += p;
    seen += groupEnds[g]! - start;
    if (p > 0) ap += (p / total) * (tp / seen);
  }
  return ap;
}

function binaryPositives(labels: ArrayLike<number>): Uint8Array {
  const positive = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) positive[i] = labels[i] === 1 ? 1 : 0;
  return positive;
}

function checkSameLength(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new OslerError('invalid-input', `${labels.length} labels but ${scores.length} scores.`);
  }
}

/**
 * Area under the ROC curve for binary labels (1 = positive) and scores, by the rank-sum
 * (Mann–Whitney) formula with ties counted half. NaN when either class is absent.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkSameLength(labels, scores);
  return rankedAuc(rankScores(scores), binaryPositives(labels));
}

/**
 * Average precision for binary labels (1 = positive) and scores, equal to sklearn's
 * `average_precision_score` (step-wise, no interpolation). NaN when there are no positives.
 */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  checkSameLength(labels, scores);
  return rankedAveragePrecision(rankScores(scores), binaryPositives(labels));
}

/** A ROC curve: parallel arrays, thresholds descending, from (0, 0) to (1, 1). */
export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** An item is called positive when its score is >= the threshold; the first is max score + 1. */
  thresholds: number[];
}

/**
 * ROC curve for binary labels (1 = positive) and scores, for plots. Matches sklearn 1.2's `roc_curve`:
 * one point per distinct score, collinear intermediate points dropped unless `dropIntermediate` is
 * false, and a first point (0, 0) at threshold max + 1 (finite, so it survives JSON). `tpr` is NaN
 * when there are no positives, `fpr` NaN when there are no negatives.
 */
export function rocCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { dropIntermediate?: boolean } = {},
): RocCurve {
  checkSameLength(labels, scores);
  const positive = binaryPositives(labels);
  const { order, groupEnds, groupScores } = rankScores(scores);
  let fps: number[] = [];
  let tps: number[] = [];
  let thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let g = groupEnds.length - 1; g >= 0; g--) {
    const start = g === 0 ? 0 : groupEnds[g - 1]!;
    for (let t = start; t < groupEnds[g]!; t++) {
      if (positive[order[t]!]) tp++;
      else fp++;
    }
    fps.push(fp);
    tps.push(tp);
    thresholds.push(groupScores[g]!);
  }
  if ((options.dropIntermediate ?? true) && fps.length > 2) {
    const keep = fps.map(
      (_, i) =>
        i === 0 ||
        i === fps.length - 1 ||
        fps[i - 1]! - 2 * fps[i]! + fps[i + 1]! !== 0 ||
        tps[i - 1]! - 2 * tps[i]! + tps[i + 1]! !== 0,
    );
    fps = fps.filter((_, i) => keep[i]);
    tps = tps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  const first = thresholds.length > 0 ? thresholds[0]! + 1 : 1;
  return {
    fpr: [0, ...fps].map((v) => v / fp),
    tpr: [0, ...tps].map((v) => v / tp),
    thresholds: [first, ...thresholds],
  };
}

/**
 * The highest threshold whose sensitivity (positives with score >= threshold, over all positives) is
 * at least `sensitivity`, for choosing a binary operating point on validation data. `probs` is either
 * one positive-class score per item, or a row-major n x 2 probability matrix (column 1 is positive);
 * `labels` are 1 for positive. Throws `invalid-input` on a target outside (0, 1], mismatched lengths,
 * or no positives.
 */
export function thresholdForSensitivity(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  sensitivity: number,
): number {
  if (!(sensitivity > 0 && sensitivity <= 1)) {
    throw new OslerError('invalid-input', `Target sensitivity must be in (0, 1]; got ${sensitivity}.`);
  }
  const n = labels.length;
  let stride: number;
  if (probs.length === n) stride = 1;
  else if (probs.length === 2 * n) stride = 2;
  else throw new OslerError('invalid-input', `${probs.length} scores for ${n} labels: expected n or n x 2.`);
  const positives: number[] = [];
  for (let i = 0; i < n; i++) if (labels[i] === 1) positives.push(probs[i * stride + stride - 1]!);
  if (positives.length === 0) throw new OslerError('invalid-input', 'No positive items: sensitivity is undefined.');
  positives.sort((a, b) => b - a);
  // The m-th highest positive score keeps at least m positives at or above it; the tolerance
  // stops 0.8 * 5 = 4.000000000000001 from demanding a fifth.
  const needed = Math.max(1, Math.ceil(sensitivity * positives.length - 1e-9));
  return positives[needed - 1]!;
}

/** Inverse-frequency class weights (mean 1 over the samples), for imbalanced training sets. */
export function inverseFrequencyWeights(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]!++;
  return counts.map((c) => (c === 0 ? 0 : labels.length / (classes * c)));
}
