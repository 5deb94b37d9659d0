import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OslerError } from '../../../native/contract/result.js';
import {
  applyTemperature,
  averagePrecision,
  evaluateClassification,
  evaluateRegression,
  expectedCalibrationError,
  fitClassOffsets,
  fitTemperature,
  rankedAuc,
  rankScores,
  rocAuc,
  rocCurve,
  summariseReport,
  thresholdForSensitivity,
} from '../../../native/ml/eval/index.js';
import { seededRandom } from '../../../native/ml/random.js';

const f32 = (rows: number[][]) => Float32Array.from(rows.flat());
const i32 = (values: number[]) => Int32Array.from(values);

function expectInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OslerError);
    expect((error as OslerError).code).toBe('invalid-input');
    return;
  }
  throw new Error('expected an invalid-input OslerError');
}

/** O(n^2) weighted Mann–Whitney AUC, ties half: the definition the fast path must reproduce. */
function pairwiseAuc(positive: boolean[], scores: number[], weights: number[]): number {
  let pairs = 0;
  let p = 0;
  let q = 0;
  for (let i = 0; i < scores.length; i++) {
    if (positive[i]) p += weights[i]!;
    else q += weights[i]!;
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      const w = weights[i]! * weights[j]!;
      if (scores[i]! > scores[j]!) pairs += w;
      else if (scores[i] === scores[j]) pairs += w / 2;
    }
  }
  return p === 0 || q === 0 ? Number.NaN : pairs / (p * q);
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function softmaxRows(logits: number[][], scale = 1): Float32Array {
  return f32(
    logits.map((z) => {
      const max = Math.max(...z.map((v) => v * scale));
      const e = z.map((v) => Math.exp(v * scale - max));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }),
  );
}

/** A seeded k-class fixture: logits ~ N(0, spread), label drawn from softmax(logits). */
function syntheticLogits(
  n: number,
  k: number,
  spread: number,
  seed: number,
): { logits: number[][]; labels: Int32Array } {
  const random = seededRandom(seed);
  const logits: number[][] = [];
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: k }, () => spread * gaussian(random));
    const e = z.map((v) => Math.exp(v));
    const s = e.reduce((a, b) => a + b, 0);
    let u = random() * s;
    let y = 0;
    while (y < k - 1 && u >= e[y]!) u -= e[y++]!;
    logits.push(z);
    labels[i] = y;
  }
  return { logits, labels };
}

function meanNll(probs: Float32Array, labels: Int32Array, k: number): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) total -= Math.log(probs[i * k + labels[i]!]!);
  return total / labels.length;
}

describe('binary ranking metrics', () => {
  // Positives score 0.4, 0.8, 0.3; negatives 0.1, 0.4, 0.6.
  const labels = [0, 0, 1, 1, 0, 1];
  const scores = [0.1, 0.4, 0.4, 0.8, 0.6, 0.3];

  it('AUC counts a tie as half a pair', () => {
    // Pairs won by each positive: 0.4 -> 1 (0.1) + 0.5 (tie with 0.4) + 0 (0.6) = 1.5;
    // 0.8 -> 3; 0.3 -> 1 (0.1). AUC = (1.5 + 3 + 1) / (3 x 3) = 5.5 / 9.
    expect(rocAuc(labels, scores)).toBeCloseTo(5.5 / 9, 12);
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    // Everything tied: every pair is half a win.
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBeCloseTo(0.5, 12);
  });

  it('AUC is 1 for a perfect ranking, 0 for an inverted one, NaN when a class is absent', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(rocAuc([0, 0], [0.2, 0.3])).toBeNaN();
  });

  it('average precision is step-wise over distinct thresholds, ties entering together', () => {
    // Descending: 0.8 (pos): TP 1 of 1 seen, recall +1/3 at precision 1 -> 1/3.
    // 0.6 (neg): no recall gain. 0.4 (pos + neg tied): TP 2 of 4 seen, +1/3 at 1/2 -> 1/6.
    // 0.3 (pos): TP 3 of 5 seen, +1/3 at 3/5 -> 1/5. 0.1 (neg): nothing. AP = 1/3 + 1/6 + 1/5 = 0.7.
    expect(averagePrecision(labels, scores)).toBeCloseTo(0.7, 12);
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    // Inverted: positives last. 0.9, 0.8 neg; 0.2 pos: 1/3 precision x 1/2; 0.1 pos: 2/4 x 1/2 -> 5/12.
    expect(averagePrecision([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1])).toBeCloseTo(1 / 6 + 1 / 4, 12);
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
  });

  it('ROC curve has one point per distinct score, from (0,0) at max + 1 to (1,1)', () => {
    // Descending thresholds with cumulative (FP, TP): 0.8 (0,1), 0.6 (1,1), 0.4 (2,2), 0.3 (2,3), 0.1 (3,3).
    // No three consecutive points are collinear, so none is dropped.
    const curve = rocCurve(labels, scores);
    expect(curve.thresholds).toEqual([1.8, 0.8, 0.6, 0.4, 0.3, 0.1]);
    expect(curve.fpr).toEqual([0, 0, 1 / 3, 2 / 3, 2 / 3, 1]);
    expect(curve.tpr).toEqual([0, 1 / 3, 1 / 3, 2 / 3, 1, 1]);
  });

  it('ROC curve drops collinear intermediate points unless asked not to', () => {
    // Descending: 0.4 (0,1), 0.3 (0,2), 0.2 (0,3), 0.1 (1,3). The point at 0.3 lies on the vertical
    // segment between its neighbours (second differences 0 and 0), so it is dropped.
    const curve = rocCurve([0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4]);
    expect(curve.thresholds).toEqual([1.4, 0.4, 0.2, 0.1]);
    expect(curve.fpr).toEqual([0, 0, 0, 1]);
    expect(curve.tpr).toEqual([0, 1 / 3, 1, 1]);
    expect(rocCurve([0, 1, 1, 1], [0.1, 0.2, 0.3, 0.4], { dropIntermediate: false }).thresholds).toEqual([
      1.4, 0.4, 0.3, 0.2, 0.1,
    ]);
    expect(rocCurve([0, 0], [0.1, 0.2]).tpr.every(Number.isNaN)).toBe(true);
  });

  it('weighted rank AUC (how bootstrap resamples are scored) equals the pairwise definition', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 30;
      // Scores on a coarse grid so ties are common.
      const s = Array.from({ length: n }, () => Math.round(random() * 8) / 8);
      const positive = s.map((v) => random() < 0.3 + 0.4 * v);
      const weights = Array.from({ length: n }, () => Math.floor(random() * 3));
      const fast = rankedAuc(rankScores(s), Uint8Array.from(positive, Number), Int32Array.from(weights));
      const slow = pairwiseAuc(positive, s, weights);
      if (Number.isNaN(slow)) expect(fast).toBeNaN();
      else expect(fast).toBeCloseTo(slow, 12);
    }
  });

  it('threshold for a target sensitivity keeps at least that many positives at or above it', () => {
    // Positive scores 0.9, 0.7, 0.45 (negatives 0.85, 0.25, 0.65).
    const y = [1, 0, 1, 0, 0, 1];
    const p = [0.9, 0.85, 0.7, 0.25, 0.65, 0.45];
    expect(thresholdForSensitivity(p, y, 1)).toBe(0.45); // all 3 positives
    expect(thresholdForSensitivity(p, y, 2 / 3)).toBe(0.7); // 2 of 3, despite 2/3 x 3 rounding
    expect(thresholdForSensitivity(p, y, 0.6)).toBe(0.7); // ceil(1.8) = 2
    expect(thresholdForSensitivity(p, y, 0.2)).toBe(0.9); // ceil(0.6) = 1
    // An n x 2 matrix reads column 1.
    const matrix = p.flatMap((v) => [1 - v, v]);
    expect(thresholdForSensitivity(matrix, y, 1)).toBe(0.45);
    expectInvalid(() => thresholdForSensitivity(p, y, 0));
    expectInvalid(() => thresholdForSensitivity(p, [0, 0, 0, 0, 0, 0], 0.9));
    expectInvalid(() => thresholdForSensitivity([0.1, 0.2, 0.3], y, 0.9));
  });

  it('refuses NaN scores and mismatched lengths with a typed error', () => {
    expectInvalid(() => rocAuc([0, 1], [0.1, Number.NaN]));
    expectInvalid(() => rocAuc([0, 1, 1], [0.1, 0.2]));
    expectInvalid(() => rocCurve([0, 1], [0.1]));
  });
});

describe('evaluateClassification on a hand-computed binary fixture', () => {
  // Rows are (p0, p1); positive class 1.
  const probs = f32([
    [0.1, 0.9], // y=1, top 1 (0.9) correct
    [0.15, 0.85], // y=0, top 1 (0.85) wrong
    [0.3, 0.7], // y=1, top 1 (0.7) correct
    [0.75, 0.25], // y=0, top 0 (0.75) correct
    [0.35, 0.65], // y=0, top 1 (0.65) wrong
    [0.55, 0.45], // y=1, top 0 (0.55) wrong
  ]);
  const labels = i32([1, 0, 1, 0, 0, 1]);
  const report = evaluateClassification(probs, labels, ['negative', 'positive'], { bins: 5, bootstrap: 200 });

  it('accuracy, confusion, per-class and macro F1', () => {
    // Argmax predictions 1, 1, 1, 0, 1, 0 against 1, 0, 1, 0, 0, 1: rows 0, 2, 3 correct -> 3/6.
    expect(report.n).toBe(6);
    expect(report.accuracy).toBeCloseTo(0.5, 12);
    // True 0 (rows 1, 3, 4): predicted 1, 0, 1. True 1 (rows 0, 2, 5): predicted 1, 1, 0.
    expect(report.confusion).toEqual([
      [1, 2],
      [1, 2],
    ]);
    // Class 0: precision 1/2, recall 1/3, F1 = 2(1/2)(1/3)/(5/6) = 0.4.
    // Class 1: precision 2/4, recall 2/3, F1 = 2(1/2)(2/3)/(7/6) = 4/7. Macro = (0.4 + 4/7) / 2.
    expect(report.perClass[0]).toMatchObject({ className: 'negative', support: 3 });
    expect(report.perClass[0]!.precision).toBeCloseTo(0.5, 12);
    expect(report.perClass[0]!.recall).toBeCloseTo(1 / 3, 12);
    expect(report.perClass[0]!.f1).toBeCloseTo(0.4, 12);
    expect(report.perClass[1]!.precision).toBeCloseTo(0.5, 12);
    expect(report.perClass[1]!.recall).toBeCloseTo(2 / 3, 12);
    expect(report.perClass[1]!.f1).toBeCloseTo(4 / 7, 12);
    expect(report.macroF1).toBeCloseTo((0.4 + 4 / 7) / 2, 12);
  });

  it('AUC and AP of the positive class', () => {
    // Positives p1 = 0.9, 0.7, 0.45; negatives 0.85, 0.25, 0.65.
    // 0.9 beats 3, 0.7 beats 0.25 and 0.65 (2), 0.45 beats 0.25 (1): AUC = 6/9.
    expect(report.positiveClass).toBe(1);
    expect(report.auc).toBeCloseTo(6 / 9, 6);
    expect(report.aucPerClass[1]).toBeCloseTo(6 / 9, 6);
    // Class 0's scores are 1 - p1, so its one-vs-rest AUC is the same ranking seen from the other side.
    expect(report.aucPerClass[0]).toBeCloseTo(6 / 9, 6);
    // AP: 0.9 pos (1/1) +1/3 -> 1/3; 0.85 neg; 0.7 pos (2/3) -> 2/9; 0.65 neg; 0.45 pos (3/5) -> 1/5.
    expect(report.prAuc).toBeCloseTo(1 / 3 + 2 / 9 + 1 / 5, 6);
  });

  it('ECE and reliability bins (5 bins of width 0.2)', () => {
    // Top confidences: 0.9 ok, 0.85 wrong, 0.7 ok, 0.75 ok, 0.65 wrong, 0.55 wrong.
    // [0.4,0.6): {0.55 wrong}: conf 0.55, acc 0 -> gap 0.55, weight 1/6.
    // [0.6,0.8): {0.7 ok, 0.75 ok, 0.65 wrong}: conf 0.7, acc 2/3 -> gap 1/30, weight 3/6.
    // [0.8,1.0]: {0.9 ok, 0.85 wrong}: conf 0.875, acc 1/2 -> gap 0.375, weight 2/6.
    // ECE = 0.55/6 + 1/60 + 0.125 = 0.233333...
    expect(report.ece).toBeCloseTo(0.55 / 6 + 1 / 60 + 0.125, 6);
    expect(report.reliability.map((b) => b.count)).toEqual([0, 0, 1, 3, 2]);
    expect(report.reliability[3]!.lower).toBeCloseTo(0.6, 12);
    expect(report.reliability[3]!.upper).toBeCloseTo(0.8, 12);
    expect(report.reliability[3]!.meanConfidence).toBeCloseTo(0.7, 6);
    expect(report.reliability[3]!.accuracy).toBeCloseTo(2 / 3, 12);
    expect(report.reliability[4]!.meanConfidence).toBeCloseTo(0.875, 6);
    expect(report.reliability[0]).toEqual({ lower: 0, upper: 0.2, count: 0, meanConfidence: 0, accuracy: 0 });
  });

  it('log loss and Brier score', () => {
    // -ln p(true): -ln 0.9, -ln 0.15, -ln 0.7, -ln 0.75, -ln 0.35, -ln 0.45; mean = 0.80047...
    const hand = -(Math.log(0.9) + Math.log(0.15) + Math.log(0.7) + Math.log(0.75) + Math.log(0.35) + Math.log(0.45));
    expect(report.logLoss).toBeCloseTo(hand / 6, 6);
    // (p1 - y)^2: 0.01, 0.7225, 0.09, 0.0625, 0.4225, 0.3025 -> sum 1.61, mean 0.268333.
    expect(report.brier).toBeCloseTo(1.61 / 6, 6);
  });

  it('operating point at 0.5 and at a float32 edge', () => {
    // p1 >= 0.5: rows 0 (TP), 1 (FP), 2 (TP), 4 (FP); below: row 3 (TN), row 5 (FN).
    expect(report.operatingPoint).toMatchObject({ threshold: 0.5, tp: 2, fp: 2, tn: 1, fn: 1 });
    expect(report.operatingPoint!.sensitivity).toBeCloseTo(2 / 3, 12);
    expect(report.operatingPoint!.specificity).toBeCloseTo(1 / 3, 12);
    expect(report.operatingPoint!.ppv).toBeCloseTo(0.5, 12);
    expect(report.operatingPoint!.npv).toBeCloseTo(0.5, 12);
    // Stored as float32, 0.7 is 0.69999998; threshold 0.7 still calls that row positive: rows 0, 1, 2.
    const at07 = evaluateClassification(probs, labels, ['n', 'p'], { threshold: 0.7, bootstrap: 0 });
    expect(at07.operatingPoint).toMatchObject({ tp: 2, fp: 1, tn: 2, fn: 1 });
    // The threshold chosen for full sensitivity achieves it.
    const t = thresholdForSensitivity(probs, labels, 1);
    expect(evaluateClassification(probs, labels, ['n', 'p'], { threshold: t }).operatingPoint!.sensitivity).toBe(1);
  });

  it('positiveClass 0 flips the binary view', () => {
    const flipped = evaluateClassification(probs, labels, ['n', 'p'], { positiveClass: 0, bootstrap: 0 });
    // p0 >= 0.5 with class 0 positive: rows 3 (TP) and 5 (FP); rows 1, 4 are FN; rows 0, 2 TN.
    expect(flipped.operatingPoint).toMatchObject({ tp: 1, fp: 1, tn: 2, fn: 2 });
    expect(flipped.auc).toBeCloseTo(6 / 9, 6);
    // Brier on p0 against y==0 equals Brier on p1 against y==1 for complementary columns.
    expect(flipped.brier).toBeCloseTo(1.61 / 6, 6);
  });

  it('summarises to the flat record the CLI prints', () => {
    const summary = summariseReport(report);
    expect(summary).toMatchObject({
      n: 6,
      accuracy: report.accuracy,
      auc: report.auc,
      aucLow: report.aucCi95[0],
      aucHigh: report.aucCi95[1],
      macroF1: report.macroF1,
      prAuc: report.prAuc,
      ece: report.ece,
      logLoss: report.logLoss,
      brier: report.brier,
      sensitivity: report.operatingPoint!.sensitivity,
      specificity: report.operatingPoint!.specificity,
    });
    expect(Object.values(summary).every((v) => typeof v === 'number')).toBe(true);
  });
});

describe('evaluateClassification on a hand-computed three-class fixture', () => {
  const probs = f32([
    [0.7, 0.2, 0.1], // y=a, predicted a
    [0.4, 0.5, 0.1], // y=a, predicted b
    [0.2, 0.6, 0.2], // y=b, predicted b
    [0.1, 0.8, 0.1], // y=b, predicted b
    [0.3, 0.3, 0.4], // y=c, predicted c
    [0.4, 0.3, 0.3], // y=c, predicted a
  ]);
  const labels = i32([0, 0, 1, 1, 2, 2]);
  const report = evaluateClassification(probs, labels, ['a', 'b', 'c']);

  it('confusion, accuracy, F1', () => {
    expect(report.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(report.accuracy).toBeCloseTo(4 / 6, 12);
    // a: P 1/2, R 1/2, F1 1/2. b: P 2/3, R 1, F1 0.8. c: P 1, R 1/2, F1 2/3.
    expect(report.perClass.map((c) => c.f1)).toEqual([0.5, expect.closeTo(0.8, 12), expect.closeTo(2 / 3, 12)]);
    expect(report.macroF1).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
  });

  it('one-vs-rest AUC (with a tie) and AP, macro-averaged', () => {
    // a: positives 0.7, 0.4 vs negatives 0.2, 0.1, 0.3, 0.4 -> 4 + (3 + 0.5 tie) = 7.5 / 8.
    // b: positives 0.6, 0.8 above every negative (0.2, 0.5, 0.3, 0.3) -> 1. c: 0.4, 0.3 above 0.1, 0.1, 0.2, 0.1 -> 1.
    expect(report.aucPerClass[0]).toBeCloseTo(7.5 / 8, 6);
    expect(report.aucPerClass[1]).toBe(1);
    expect(report.aucPerClass[2]).toBe(1);
    expect(report.auc).toBeCloseTo((7.5 / 8 + 2) / 3, 6);
    // AP a: 0.7 pos (1/1) -> 1/2; 0.4 tie {pos, neg} (2/3) -> 1/3; total 5/6. b, c: 1.
    expect(report.prAucPerClass[0]).toBeCloseTo(5 / 6, 6);
    expect(report.prAuc).toBeCloseTo((5 / 6 + 2) / 3, 6);
    expect(report.operatingPoint).toBeUndefined();
  });

  it('multi-class Brier and log loss', () => {
    // Sum of squared errors per row: 0.14, 0.62, 0.24, 0.06, 0.54, 0.74 -> 2.34 / 6 = 0.39.
    expect(report.brier).toBeCloseTo(0.39, 6);
    const hand = -(Math.log(0.7) + Math.log(0.4) + Math.log(0.6) + Math.log(0.8) + Math.log(0.4) + Math.log(0.3));
    expect(report.logLoss).toBeCloseTo(hand / 6, 6); // 0.687867
  });

  it('ECE with the default 10 bins puts float32 edges in the bin they name', () => {
    // Top confidences: 0.7 ok -> [0.7,0.8); 0.5 wrong -> [0.5,0.6); 0.6 ok -> [0.6,0.7); 0.8 ok -> [0.8,0.9);
    // 0.4 ok and 0.4 wrong -> [0.4,0.5). Gaps: 0.3, 0.5, 0.4, 0.2, and |1/2 - 0.4| = 0.1 over 2 items.
    // ECE = (0.3 + 0.5 + 0.4 + 0.2 + 2 x 0.1) / 6 = 1.6 / 6.
    expect(report.reliability.map((b) => b.count)).toEqual([0, 0, 0, 0, 2, 1, 1, 1, 1, 0]);
    expect(report.ece).toBeCloseTo(1.6 / 6, 6);
  });
});

describe('edge cases: perfect, inverted, absent class', () => {
  it('a perfect classifier scores 1 everywhere, with a degenerate interval', () => {
    const r = evaluateClassification(
      f32([
        [0.9, 0.1],
        [0.8, 0.2],
        [0.3, 0.7],
        [0.1, 0.9],
      ]),
      i32([0, 0, 1, 1]),
      ['n', 'p'],
    );
    expect([r.accuracy, r.auc, r.prAuc, r.macroF1]).toEqual([1, 1, 1, 1]);
    expect(r.aucCi95).toEqual([1, 1]);
    expect(r.operatingPoint).toMatchObject({ sensitivity: 1, specificity: 1, ppv: 1, npv: 1 });
  });

  it('an inverted classifier scores AUC 0 and accuracy 0, and undefined ratios are NaN', () => {
    const r = evaluateClassification(
      f32([
        [0.1, 0.9],
        [0.2, 0.8],
        [0.7, 0.3],
        [0.9, 0.1],
      ]),
      i32([0, 0, 1, 1]),
      ['n', 'p'],
    );
    expect(r.auc).toBe(0);
    expect(r.aucCi95).toEqual([0, 0]);
    expect(r.accuracy).toBe(0);
    expect(r.macroF1).toBe(0);
    // AP: negatives first; positives at ranks 3 and 4: 1/3 x 1/2 + 2/4 x 1/2 = 5/12.
    expect(r.prAuc).toBeCloseTo(5 / 12, 6);
    const none = evaluateClassification(
      f32([
        [0.9, 0.1],
        [0.8, 0.2],
      ]),
      i32([0, 1]),
      ['n', 'p'],
    );
    // Nothing called positive: PPV is 0/0.
    expect(none.operatingPoint!.ppv).toBeNaN();
    expect(none.operatingPoint!.npv).toBe(0.5);
  });

  it('a class absent from the labels has NaN AUC/AP and is left out of the macro averages', () => {
    // Class c never occurs and is never the argmax.
    const r = evaluateClassification(
      f32([
        [0.6, 0.3, 0.1],
        [0.5, 0.2, 0.3],
        [0.2, 0.7, 0.1],
        [0.45, 0.35, 0.2],
      ]),
      i32([0, 0, 1, 1]),
      ['a', 'b', 'c'],
    );
    expect(r.aucPerClass[2]).toBeNaN();
    expect(r.prAucPerClass[2]).toBeNaN();
    expect(r.perClass[2]).toEqual({ className: 'c', precision: 0, recall: 0, f1: 0, support: 0 });
    // a: positives 0.6, 0.5 vs negatives 0.2, 0.45 -> 4/4. b: positives 0.7, 0.35 vs 0.3, 0.2 -> 4/4.
    expect(r.aucPerClass.slice(0, 2)).toEqual([1, 1]);
    expect(r.auc).toBe(1);
    // Predictions a, a, b, a: a P 2/3 R 1 F1 0.8; b P 1 R 1/2 F1 2/3; c excluded.
    expect(r.macroF1).toBeCloseTo((0.8 + 2 / 3) / 2, 12);
    // A class absent from the labels but predicted counts with F1 0 (sklearn's label set).
    const predicted = evaluateClassification(
      f32([
        [0.6, 0.1, 0.3],
        [0.1, 0.2, 0.7],
        [0.2, 0.7, 0.1],
      ]),
      i32([0, 0, 1]),
      ['a', 'b', 'c'],
    );
    // a: P 1 R 1/2 F1 2/3; b: P 1 R 1 F1 1; c: F1 0 -> macro 5/9.
    expect(predicted.macroF1).toBeCloseTo(5 / 9, 12);
  });

  it('a binary set with one class has NaN AUC and interval but the other metrics still', () => {
    const r = evaluateClassification(
      f32([
        [0.9, 0.1],
        [0.4, 0.6],
      ]),
      i32([0, 0]),
      ['n', 'p'],
    );
    expect(r.auc).toBeNaN();
    expect(r.aucCi95.every(Number.isNaN)).toBe(true);
    expect(r.aucBootstrapRounds).toBe(0);
    expect(r.accuracy).toBe(0.5);
  });

  it('refuses bad shapes, labels and values with a typed error', () => {
    expectInvalid(() => evaluateClassification(f32([[0.5, 0.5]]), i32([0, 1]), ['n', 'p']));
    expectInvalid(() => evaluateClassification(f32([[0.5, 0.5]]), i32([2]), ['n', 'p']));
    expectInvalid(() => evaluateClassification(f32([[0.5, Number.NaN]]), i32([0]), ['n', 'p']));
    expectInvalid(() => evaluateClassification(f32([[1]]), i32([0]), ['only']));
    expectInvalid(() => evaluateClassification(new Float32Array(0), new Int32Array(0), ['n', 'p']));
    expectInvalid(() => evaluateClassification(f32([[0.5, 0.5]]), i32([0]), ['n', 'p'], { positiveClass: 2 }));
    expectInvalid(() => evaluateClassification(f32([[0.5, 0.5]]), i32([0]), ['n', 'p'], { bootstrap: -1 }));
    expectInvalid(() => evaluateClassification(f32([[0.5, 0.5]]), i32([0]), ['n', 'p'], { bins: 0 }));
  });
});

describe('bootstrap interval', () => {
  /** Reference: resample with the same generator, re-score by the pairwise definition, numpy percentiles. */
  function naiveInterval(probs: Float32Array, labels: Int32Array, k: number, rounds: number, seed: number) {
    const n = labels.length;
    const random = seededRandom(seed);
    const values: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const weights = new Array<number>(n).fill(0);
      for (let j = 0; j < n; j++) weights[Math.floor(random() * n)]!++;
      const classes = k === 2 ? [1] : [...Array(k).keys()];
      const aucs = classes.map((c) =>
        pairwiseAuc(
          Array.from(labels, (y) => y === c),
          Array.from({ length: n }, (_, i) => probs[i * k + c]!),
          weights,
        ),
      );
      if (aucs.some(Number.isNaN)) continue;
      values.push(aucs.reduce((a, b) => a + b, 0) / aucs.length);
    }
    values.sort((a, b) => a - b);
    const q = (p: number) => {
      const pos = p * (values.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, values.length - 1);
      return values[lo]! + (pos - lo) * (values[hi]! - values[lo]!);
    };
    return { ci: [q(0.025), q(0.975)], rounds: values.length };
  }

  it('equals a naive re-scoring of the same seeded resamples, binary and three-class', () => {
    for (const k of [2, 3]) {
      const { logits, labels } = syntheticLogits(40, k, 1.5, 11 + k);
      // Round to 1/20 so the fixture has ties.
      const probs = softmaxRows(logits).map((v) => Math.round(v * 20) / 20);
      const report = evaluateClassification(probs, labels, k === 2 ? ['n', 'p'] : ['a', 'b', 'c'], {
        bootstrap: 300,
        seed: 5,
      });
      const naive = naiveInterval(probs, labels, k, 300, 5);
      expect(report.aucBootstrapRounds).toBe(naive.rounds);
      expect(report.aucCi95[0]).toBeCloseTo(naive.ci[0]!, 12);
      expect(report.aucCi95[1]).toBeCloseTo(naive.ci[1]!, 12);
      expect(report.aucCi95[0]).toBeLessThanOrEqual(report.auc);
      expect(report.aucCi95[1]).toBeGreaterThanOrEqual(report.auc);
    }
  });

  it('is reproducible for a seed, changes with the seed, and skips resamples missing a class', () => {
    const { logits, labels } = syntheticLogits(60, 2, 1.5, 3);
    const probs = softmaxRows(logits);
    const a = evaluateClassification(probs, labels, ['n', 'p'], { seed: 9 });
    const b = evaluateClassification(probs, labels, ['n', 'p'], { seed: 9 });
    const c = evaluateClassification(probs, labels, ['n', 'p'], { seed: 10 });
    expect(a.aucCi95).toEqual(b.aucCi95);
    expect(a.aucCi95).not.toEqual(c.aucCi95);
    expect(a.aucBootstrapRounds).toBe(1000);
    // One positive among four: a resample misses it with probability (3/4)^4 ~ 0.32.
    const rare = evaluateClassification(
      f32([
        [0.9, 0.1],
        [0.8, 0.2],
        [0.6, 0.4],
        [0.3, 0.7],
      ]),
      i32([0, 0, 0, 1]),
      ['n', 'p'],
    );
    expect(rare.aucBootstrapRounds).toBeGreaterThan(550);
    expect(rare.aucBootstrapRounds).toBeLessThan(800);
    expect(rare.aucCi95).toEqual([1, 1]);
  });
});

describe('expected calibration error', () => {
  it('is 0 when confidence equals accuracy in every bin', () => {
    // Four items at confidence 0.75, three of them right: bin [0.7,0.8) has conf 0.75, acc 0.75.
    const probs = f32([
      [0.75, 0.25],
      [0.75, 0.25],
      [0.75, 0.25],
      [0.75, 0.25],
    ]);
    expect(expectedCalibrationError(probs, i32([0, 0, 0, 1]), 2).ece).toBeCloseTo(0, 12);
  });
});

describe('class decision offsets', () => {
  it('applyTemperature with offsets is softmax((log p + b) / T)', () => {
    const probs = f32([[0.5, 0.3, 0.2]]);
    const b = [0.2, -0.1, -0.1];
    const out = applyTemperature(probs, 3, 2, b);
    const z = [0.5, 0.3, 0.2].map((p, c) => Math.exp((Math.log(p) + b[c]!) / 2));
    const sum = z.reduce((a, v) => a + v, 0);
    z.forEach((v, c) => expect(out[c]).toBeCloseTo(v / sum, 6));
    // Zero offsets change nothing; wrong-length or non-finite offsets are refused.
    expect(Array.from(applyTemperature(probs, 3, 2, [0, 0, 0]))).toEqual(Array.from(applyTemperature(probs, 3, 2)));
    expect(() => applyTemperature(probs, 3, 1, [0, 0])).toThrow(OslerError);
    expect(() => applyTemperature(probs, 3, 1, [0, Number.NaN, 0])).toThrow(/finite/);
  });

  it('fitClassOffsets raises macro-F1 when a model under-calls a rare class, on held-out items too', () => {
    // Three classes, the third rare; the model's probabilities understate it, so arg-max rarely picks it.
    const k = 3;
    const make = (n: number, seed: number) => {
      // True logits z (class 2 rarer by a prior shift); labels drawn from softmax(z); the model reports
      // softmax(z) with class 2 pushed down by 1.2 more, so arg-max under-calls it.
      const random = seededRandom(seed);
      const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const truth = Array.from({ length: n }, () => [1.5 * normal(), 1.5 * normal(), 1.5 * normal() - 1]);
      const labels = Int32Array.from(truth, (z) => {
        const e = z.map(Math.exp);
        let u = random() * e.reduce((a, v) => a + v, 0);
        for (let c = 0; c < k; c++) if ((u -= e[c]!) <= 0) return c;
        return k - 1;
      });
      return { probs: softmaxRows(truth.map((z) => z.map((v, c) => (c === 2 ? v - 1.2 : v)))), labels };
    };
    const fit = make(3000, 31);
    const offsets = fitClassOffsets(fit.probs, fit.labels, k);
    expect(offsets).toHaveLength(k);
    expect(Math.abs(offsets.reduce((a, v) => a + v, 0))).toBeLessThan(1e-3);
    expect(offsets[2]).toBeGreaterThan(Math.max(offsets[0]!, offsets[1]!));
    const held = make(3000, 41);
    const f1 = (probs: Float32Array) =>
      evaluateClassification(probs, held.labels, ['a', 'b', 'c'], { bootstrap: 0 }).macroF1;
    expect(f1(applyTemperature(held.probs, k, 1, offsets))).toBeGreaterThan(f1(held.probs) + 0.02);
    // Deterministic, and no change when arg-max is already right everywhere.
    expect(fitClassOffsets(fit.probs, fit.labels, k)).toEqual(offsets);
    const perfect = f32([
      [0.9, 0.05, 0.05],
      [0.1, 0.8, 0.1],
      [0.2, 0.2, 0.6],
    ]);
    expect(fitClassOffsets(perfect, Int32Array.from([0, 1, 2]), 3)).toEqual([0, 0, 0]);
  });
});

describe('temperature scaling', () => {
  it('recovers the temperature that made synthetic probabilities over-confident, lowering NLL and ECE', () => {
    // Labels drawn from softmax(z); the model reports softmax(2.5 z), so softmax(log p / 2.5) = softmax(z).
    const k = 4;
    const { logits, labels } = syntheticLogits(4000, k, 1.2, 21);
    const overconfident = softmaxRows(logits, 2.5);
    const t = fitTemperature(overconfident, labels, k);
    expect(t).toBeGreaterThan(2.2);
    expect(t).toBeLessThan(2.8);
    const scaled = applyTemperature(overconfident, k, t);
    expect(meanNll(scaled, labels, k)).toBeLessThan(meanNll(overconfident, labels, k) - 0.05);
    const before = evaluateClassification(overconfident, labels, ['a', 'b', 'c', 'd'], { bootstrap: 0 });
    const after = evaluateClassification(scaled, labels, ['a', 'b', 'c', 'd'], { bootstrap: 0 });
    expect(after.ece).toBeLessThan(before.ece / 2);
    expect(after.logLoss).toBeLessThan(before.logLoss);
    // Scaling never changes the argmax, so accuracy and the confusion matrix are unchanged.
    expect(after.confusion).toEqual(before.confusion);
  });

  it('finds T near 1 for calibrated probabilities and T < 1 for under-confident ones', () => {
    const { logits, labels } = syntheticLogits(4000, 3, 1.2, 22);
    expect(fitTemperature(softmaxRows(logits), labels, 3)).toBeCloseTo(1, 0);
    const under = fitTemperature(softmaxRows(logits, 0.5), labels, 3);
    expect(under).toBeGreaterThan(0.4);
    expect(under).toBeLessThan(0.6);
  });

  it('applyTemperature: T = 1 is the identity, rows still sum to 1, zeros are clamped', () => {
    const probs = f32([
      [0.7, 0.2, 0.1],
      [1, 0, 0],
    ]);
    const same = applyTemperature(probs, 3, 1);
    for (let j = 0; j < 3; j++) expect(same[j]).toBeCloseTo(probs[j]!, 6);
    const soft = applyTemperature(probs, 3, 2);
    // softmax(log p / 2) = sqrt(p) / sum sqrt(p): sqrt(0.7) / (sqrt(0.7) + sqrt(0.2) + sqrt(0.1)).
    expect(soft[0]).toBeCloseTo(Math.sqrt(0.7) / (Math.sqrt(0.7) + Math.sqrt(0.2) + Math.sqrt(0.1)), 6);
    expect(soft[0]! + soft[1]! + soft[2]!).toBeCloseTo(1, 6);
    expect(Array.from(soft).every(Number.isFinite)).toBe(true);
    // A hard one-hot stays finite: sqrt(1e-15) is tiny but not NaN.
    expect(soft[3]).toBeCloseTo(1, 6);
  });

  it('stays finite and inside [0.05, 20] on degenerate inputs, and refuses bad ones', () => {
    // Perfect one-hot predictions: the NLL keeps falling as T shrinks, so the search ends at the floor.
    const perfect = fitTemperature(
      f32([
        [1, 0],
        [0, 1],
        [1, 0],
      ]),
      i32([0, 1, 0]),
      2,
    );
    expect(perfect).toBeGreaterThanOrEqual(0.05);
    expect(perfect).toBeLessThan(0.06);
    // Uniform predictions carry no information: every T gives the same NLL; any answer in range is fine.
    const flat = fitTemperature(
      f32([
        [0.5, 0.5],
        [0.5, 0.5],
      ]),
      i32([0, 1]),
      2,
    );
    expect(flat).toBeGreaterThanOrEqual(0.05);
    expect(flat).toBeLessThanOrEqual(20);
    expectInvalid(() => fitTemperature(f32([[0.5, 0.5]]), i32([0, 1]), 2));
    expectInvalid(() => fitTemperature(f32([[0.5, 0.5]]), i32([3]), 2));
    expectInvalid(() => fitTemperature(new Float32Array(0), new Int32Array(0), 2));
    expectInvalid(() => applyTemperature(f32([[0.5, 0.5]]), 2, 0));
    expectInvalid(() => applyTemperature(f32([[0.5, 0.5]]), 2, Number.NaN));
    expectInvalid(() => applyTemperature(f32([[0.5, 0.5, 0.5]]), 2, 1));
  });
});

describe('evaluateRegression', () => {
  const pred = Float32Array.from([1, 2, 3, 4]);
  const target = Float32Array.from([1.5, Number.NaN, 2, 6]);

  it('skips NaN targets; MAE, RMSE, coverage and width by hand', () => {
    // Used items 0, 2, 3 with errors -0.5, 1, -2: MAE = 3.5/3; RMSE = sqrt((0.25 + 1 + 4)/3) = sqrt(1.75).
    // Intervals [0,2] holds 1.5; [2.5,3.5] misses 2; [3,7] holds 6 -> coverage 2/3; widths 2, 1, 4 -> 7/3.
    const r = evaluateRegression(pred, target, {
      lower: Float32Array.from([0, 0, 2.5, 3]),
      upper: Float32Array.from([2, 10, 3.5, 7]),
    });
    expect(r.n).toBe(3);
    expect(r.mae).toBeCloseTo(3.5 / 3, 6);
    expect(r.rmse).toBeCloseTo(Math.sqrt(1.75), 6);
    expect(r.coverage).toBeCloseTo(2 / 3, 12);
    expect(r.meanIntervalWidth).toBeCloseTo(7 / 3, 6);
  });

  it('omits interval fields without intervals, answers NaN with no usable item, refuses bad lengths', () => {
    const r = evaluateRegression(pred, target);
    expect(r.coverage).toBeUndefined();
    expect(r.meanIntervalWidth).toBeUndefined();
    const empty = evaluateRegression(Float32Array.from([1]), Float32Array.from([Number.NaN]));
    expect(empty.n).toBe(0);
    expect(empty.mae).toBeNaN();
    expectInvalid(() => evaluateRegression(pred, Float32Array.from([1])));
    expectInvalid(() =>
      evaluateRegression(pred, target, { lower: Float32Array.from([0]), upper: Float32Array.from([1]) }),
    );
  });
});

const sklearnProbe = spawnSync('/usr/bin/python3', ['-c', 'import sklearn'], { encoding: 'utf8' });
const sklearnMissing = sklearnProbe.status !== 0;
if (sklearnMissing)
  console.warn('eval.test: /usr/bin/python3 cannot import sklearn; the sklearn agreement test is skipped.');

describe('agreement with scikit-learn', () => {
  it.skipIf(sklearnMissing)(
    'AUC, average precision, log loss, Brier, macro-F1, confusion and ROC curve match sklearn (skipped when /usr/bin/python3 lacks sklearn)',
    () => {
      const fixtures = [2, 3, 5].map((k) => {
        const { logits, labels } = syntheticLogits(300, k, 1.3, 100 + k);
        // Duplicate a third of the rows so every column has tied scores; the binary set is also rounded
        // to 1/50 (kept off 0 and 1, where sklearn's clipping floor differs from our 1e-15).
        for (let i = 0; i < 100; i++) logits[200 + i] = [...logits[i]!];
        let probs = softmaxRows(logits);
        if (k === 2)
          probs = f32(
            Array.from(
              { length: 300 },
              (_, i) => Math.min(49, Math.max(1, Math.round(probs[i * 2 + 1]! * 50))) / 50,
            ).map((p) => [1 - p, p]),
          );
        return { k, probs, labels };
      });
      const script = `
import json, sys
import numpy as np
from sklearn.metrics import (roc_auc_score, average_precision_score, log_loss, brier_score_loss,
                             f1_score, confusion_matrix, roc_curve)
from sklearn.preprocessing import label_binarize
out = []
for f in json.load(sys.stdin):
    k = f['k']; P = np.array(f['probs'], dtype=np.float64).reshape(-1, k); y = np.array(f['labels'])
    r = {'logLoss': log_loss(y, P, labels=list(range(k))), 'macroF1': f1_score(y, P.argmax(1), average='macro'),
         'confusion': confusion_matrix(y, P.argmax(1), labels=list(range(k))).tolist()}
    if k == 2:
        r['auc'] = roc_auc_score(y, P[:, 1]); r['ap'] = average_precision_score(y, P[:, 1])
        r['brier'] = brier_score_loss(y, P[:, 1])
        fpr, tpr, thr = roc_curve(y, P[:, 1]); thr = thr.tolist()
        if thr[0] == float('inf'): thr[0] = thr[1] + 1  # sklearn >= 1.3 starts at inf, 1.2 at max + 1
        r['roc'] = [fpr.tolist(), tpr.tolist(), thr]
    else:
        r['auc'] = roc_auc_score(y, P, multi_class='ovr', average='macro')
        r['ap'] = average_precision_score(label_binarize(y, classes=list(range(k))), P, average='macro')
    out.append(r)
print(json.dumps(out))
`;
      const run = spawnSync('/usr/bin/python3', ['-c', script], {
        input: JSON.stringify(
          fixtures.map((f) => ({ k: f.k, probs: Array.from(f.probs), labels: Array.from(f.labels) })),
        ),
        encoding: 'utf8',
      });
      expect(run.stderr.replace(/.*Warning.*\n?/g, '')).toBe('');
      const expected = JSON.parse(run.stdout) as Array<{
        auc: number;
        ap: number;
        logLoss: number;
        macroF1: number;
        confusion: number[][];
        brier?: number;
        roc?: number[][];
      }>;
      fixtures.forEach((f, idx) => {
        const want = expected[idx]!;
        const names = Array.from({ length: f.k }, (_, c) => `c${c}`);
        const r = evaluateClassification(f.probs, f.labels, names, { bootstrap: 0 });
        expect(r.auc).toBeCloseTo(want.auc, 10);
        expect(r.prAuc).toBeCloseTo(want.ap, 10);
        // sklearn renormalises float32 rows that sum to 1 +- 1e-7; that is the only difference.
        expect(r.logLoss).toBeCloseTo(want.logLoss, 5);
        expect(r.macroF1).toBeCloseTo(want.macroF1, 10);
        expect(r.confusion).toEqual(want.confusion);
        if (f.k === 2) {
          expect(r.brier).toBeCloseTo(want.brier!, 10);
          const labels01 = Array.from(f.labels);
          const scores = Array.from({ length: 300 }, (_, i) => f.probs[i * 2 + 1]!);
          const curve = rocCurve(labels01, scores);
          const [fpr, tpr, thr] = want.roc!;
          expect(curve.fpr.length).toBe(fpr!.length);
          curve.fpr.forEach((v, i) => expect(v).toBeCloseTo(fpr![i]!, 12));
          curve.tpr.forEach((v, i) => expect(v).toBeCloseTo(tpr![i]!, 12));
          curve.thresholds.forEach((v, i) => expect(v).toBeCloseTo(thr![i]!, 6));
        }
      });
    },
  );
});
