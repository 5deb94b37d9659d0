import { OslerError } from '../../contract/result.js';
import { seededRandom } from '../random.js';
import { argmaxRow, expectedCalibrationError, PROBABILITY_FLOOR, type ReliabilityBin } from './calibration.js';
import { rankedAuc, rankedAveragePrecision, rankScores, type RankedScores } from './metrics.js';

/** Precision, recall and F1 of one class against the argmax prediction. */
export interface ClassMetrics {
  className: string;
  /** TP / (TP + FP); 0 when the class is never predicted (sklearn's zero_division=0). */
  precision: number;
  /** TP / (TP + FN); 0 when the class is absent from the labels. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
  /** Items whose true class is this one. */
  support: number;
}

/** Binary sensitivity, specificity and predictive values when positive means p(positive) >= threshold. */
export interface OperatingPoint {
  threshold: number;
  /** TP / (TP + FN); NaN when there are no positives (likewise for the other ratios' denominators). */
  sensitivity: number;
  /** TN / (TN + FP). */
  specificity: number;
  /** TP / (TP + FP). */
  ppv: number;
  /** TN / (TN + FN). */
  npv: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Everything `evaluateClassification` measures; see the field notes for conventions. */
export interface ClassificationReport {
  n: number;
  classes: string[];
  /** Fraction of items whose argmax class is the true class. */
  accuracy: number;
  perClass: ClassMetrics[];
  /** Mean F1 over the classes present in the labels or the predictions (sklearn's default label set). */
  macroF1: number;
  /** Binary: AUC of the positive class. Multi-class: mean one-vs-rest AUC over classes that are present. */
  auc: number;
  /** Percentile bootstrap 95% interval of `auc` over items; [NaN, NaN] when no resample could be scored. */
  aucCi95: [number, number];
  /** Bootstrap resamples that were scored (resamples missing a class are skipped). */
  aucBootstrapRounds: number;
  /** One-vs-rest AUC per class; NaN when the class is absent (or is every item). */
  aucPerClass: number[];
  /** Binary: average precision of the positive class. Multi-class: mean one-vs-rest AP over present classes. */
  prAuc: number;
  /** One-vs-rest average precision per class; NaN when the class is absent. */
  prAucPerClass: number[];
  /** Rows = true class, columns = argmax prediction. */
  confusion: number[][];
  /** Expected calibration error of the top-class confidence over equal-width bins. */
  ece: number;
  reliability: ReliabilityBin[];
  /** Mean -ln p(true class), each probability clamped to at least 1e-15. */
  logLoss: number;
  /**
   * Binary: mean (p(positive) - y)^2, the usual clinical Brier score (sklearn's brier_score_loss).
   * Multi-class: mean over items of the sum over classes of (p_c - y_c)^2 (Brier's original form).
   */
  brier: number;
  /** The class index treated as positive (binary only). */
  positiveClass?: number;
  /** Binary only: at `options.threshold` (default 0.5) on the positive-class probability. */
  operatingPoint?: OperatingPoint;
}

/** Options of {@link evaluateClassification}. */
export interface EvaluateClassificationOptions {
  /** Bootstrap resamples for the AUC interval (default 1000; 0 skips the interval). */
  bootstrap?: number;
  /** Seed of the resampling (default 1): same seed, same interval. */
  seed?: number;
  /** Positive class of a binary task (default 1). */
  positiveClass?: number;
  /** Operating threshold on the positive-class probability (default 0.5). */
  threshold?: number;
  /** Equal-width calibration bins (default 10). */
  bins?: number;
}

function ratio(num: number, den: number): number {
  return den === 0 ? Number.NaN : num / den;
}

/** Linear-interpolated quantile (numpy's default) of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

/**
 * Percentile bootstrap of the (macro) AUC: each round draws n items with replacement, scores every
 * AUC class on the resample through item multiplicities over the once-sorted scores (O(n) per class
 * per round, no re-sorting), and skips the round when any of those classes is missing or is every item.
 */
function bootstrapAuc(
  ranked: RankedScores[],
  positives: Uint8Array[],
  labels: Int32Array,
  aucClasses: number[],
  k: number,
  rounds: number,
  seed: number,
): { ci: [number, number]; rounds: number } {
  const n = labels.length;
  const random = seededRandom(seed);
  const weights = new Int32Array(n);
  const classCounts = new Int32Array(k);
  const values: number[] = [];
  for (let r = 0; r < rounds; r++) {
    weights.fill(0);
    classCounts.fill(0);
    for (let j = 0; j < n; j++) {
      const i = Math.floor(random() * n);
      weights[i]!++;
      classCounts[labels[i]!]!++;
    }
    if (aucClasses.some((c) => classCounts[c] === 0 || classCounts[c] === n)) continue;
    let sum = 0;
    for (const c of aucClasses) sum += rankedAuc(ranked[c]!, positives[c]!, weights);
    values.push(sum / aucClasses.length);
  }
  const sorted = Float64Array.from(values).sort();
  return { ci: [quantile(sorted, 0.025), quantile(sorted, 0.975)], rounds: values.length };
}

/**
 * Evaluates class probabilities (row-major n x k) against true class indices: accuracy, per-class
 * precision/recall/F1 and macro-F1, confusion matrix (argmax, first of tied maxima), ROC AUC with a
 * seeded percentile-bootstrap 95% interval, average precision, calibration (ECE and reliability bins),
 * log loss and Brier score, and for two classes the operating point at a threshold. Pure and
 * deterministic for a given seed. Throws `invalid-input` on mismatched shapes, labels outside
 * 0..k-1, or non-finite probabilities.
 */
export function evaluateClassification(
  probs: Float32Array,
  labels: Int32Array,
  classes: readonly string[],
  options: EvaluateClassificationOptions = {},
): ClassificationReport {
  const k = classes.length;
  const n = labels.length;
  if (k < 2) throw new OslerError('invalid-input', `Need at least 2 classes; got ${k}.`);
  if (probs.length !== n * k) {
    throw new OslerError('invalid-input', `${probs.length} probabilities for ${n} items x ${k} classes.`);
  }
  if (n === 0) throw new OslerError('invalid-input', 'Cannot evaluate zero items.');
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    if (!(y >= 0 && y < k)) throw new OslerError('invalid-input', `Label ${y} of item ${i} is not a class index.`);
  }
  for (let j = 0; j < probs.length; j++) {
    if (!Number.isFinite(probs[j]!)) throw new OslerError('invalid-input', `Probability ${j} is ${probs[j]}.`);
  }
  const binary = k === 2;
  const positiveClass = options.positiveClass ?? 1;
  if (binary && positiveClass !== 0 && positiveClass !== 1) {
    throw new OslerError('invalid-input', `positiveClass must be 0 or 1 for two classes; got ${positiveClass}.`);
  }
  const rounds = options.bootstrap ?? 1000;
  if (!Number.isInteger(rounds) || rounds < 0) {
    throw new OslerError('invalid-input', `bootstrap must be a whole number >= 0; got ${rounds}.`);
  }

  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const support = new Array<number>(k).fill(0);
  let correct = 0;
  let logLoss = 0;
  let brier = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i]!;
    const predicted = argmaxRow(probs, k, i);
    confusion[y]![predicted]!++;
    support[y]!++;
    if (predicted === y) correct++;
    logLoss -= Math.log(Math.max(probs[i * k + y]!, PROBABILITY_FLOOR));
    if (binary) {
      brier += (probs[i * k + positiveClass]! - (y === positiveClass ? 1 : 0)) ** 2;
    } else {
      for (let c = 0; c < k; c++) brier += (probs[i * k + c]! - (c === y ? 1 : 0)) ** 2;
    }
  }

  const perClass: ClassMetrics[] = [];
  const f1Present: number[] = [];
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    let predictedCount = 0;
    for (let r = 0; r < k; r++) predictedCount += confusion[r]![c]!;
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support[c] === 0 ? 0 : tp / support[c]!;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ className: classes[c]!, precision, recall, f1, support: support[c]! });
    if (support[c]! > 0 || predictedCount > 0) f1Present.push(f1);
  }

  const ranked: RankedScores[] = [];
  const positives: Uint8Array[] = [];
  const aucPerClass: number[] = [];
  const prAucPerClass: number[] = [];
  for (let c = 0; c < k; c++) {
    const positive = new Uint8Array(n);
    for (let i = 0; i < n; i++) positive[i] = labels[i] === c ? 1 : 0;
    ranked.push(rankScores(probs, n, k, c));
    positives.push(positive);
    aucPerClass.push(rankedAuc(ranked[c]!, positive));
    prAucPerClass.push(rankedAveragePrecision(ranked[c]!, positive));
  }
  const aucClasses = binary
    ? Number.isNaN(aucPerClass[positiveClass]!)
      ? []
      : [positiveClass]
    : aucPerClass.flatMap((v, c) => (Number.isNaN(v) ? [] : [c]));
  const auc = mean(aucClasses.map((c) => aucPerClass[c]!));
  const prAuc = binary ? prAucPerClass[positiveClass]! : mean(prAucPerClass.filter((v) => !Number.isNaN(v)));
  const boot =
    aucClasses.length > 0 && rounds > 0
      ? bootstrapAuc(ranked, positives, labels, aucClasses, k, rounds, options.seed ?? 1)
      : { ci: [Number.NaN, Number.NaN] as [number, number], rounds: 0 };

  const calibration = expectedCalibrationError(probs, labels, k, options.bins ?? 10);

  const report: ClassificationReport = {
    n,
    classes: [...classes],
    accuracy: correct / n,
    perClass,
    macroF1: mean(f1Present),
    auc,
    aucCi95: boot.ci,
    aucBootstrapRounds: boot.rounds,
    aucPerClass,
    prAuc,
    prAucPerClass,
    confusion,
    ece: calibration.ece,
    reliability: calibration.reliability,
    logLoss: logLoss / n,
    brier: brier / n,
  };
  if (binary) {
    const threshold = options.threshold ?? 0.5;
    // Probabilities are float32: compare at that precision so threshold 0.7 calls a stored 0.7 positive.
    const cut = Math.fround(threshold);
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    for (let i = 0; i < n; i++) {
      const calledPositive = probs[i * k + positiveClass]! >= cut;
      const isPositive = labels[i] === positiveClass;
      if (calledPositive && isPositive) tp++;
      else if (calledPositive) fp++;
      else if (isPositive) fn++;
      else tn++;
    }
    report.positiveClass = positiveClass;
    report.operatingPoint = {
      threshold,
      sensitivity: ratio(tp, tp + fn),
      specificity: ratio(tn, tn + fp),
      ppv: ratio(tp, tp + fp),
      npv: ratio(tn, tn + fn),
      tp,
      fp,
      tn,
      fn,
    };
  }
  return report;
}

/**
 * The headline figures of a report as one flat record, for CLI JSON and model metadata: n, accuracy,
 * auc, aucLow, aucHigh, macroF1, prAuc, ece, logLoss, brier, and for binary reports threshold,
 * sensitivity, specificity, ppv and npv.
 */
export function summariseReport(report: ClassificationReport): Record<string, number> {
  const summary: Record<string, number> = {
    n: report.n,
    accuracy: report.accuracy,
    auc: report.auc,
    aucLow: report.aucCi95[0],
    aucHigh: report.aucCi95[1],
    macroF1: report.macroF1,
    prAuc: report.prAuc,
    ece: report.ece,
    logLoss: report.logLoss,
    brier: report.brier,
  };
  const op = report.operatingPoint;
  if (op) {
    summary.threshold = op.threshold;
    summary.sensitivity = op.sensitivity;
    summary.specificity = op.specificity;
    summary.ppv = op.ppv;
    summary.npv = op.npv;
  }
  return summary;
}
