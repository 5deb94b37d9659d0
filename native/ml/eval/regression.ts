import { OslerError } from '../../contract/result.js';

/** Error of point forecasts and, when intervals are given, their empirical coverage. */
export interface RegressionReport {
  /** Items used: those whose target is not NaN. */
  n: number;
  /** Mean absolute error, in the target's unit; NaN when n is 0. */
  mae: number;
  /** Root mean squared error, in the target's unit; NaN when n is 0. */
  rmse: number;
  /** Fraction of used items with lower <= target <= upper (only with intervals). */
  coverage?: number;
  /** Mean of upper - lower over used items, in the target's unit (only with intervals). */
  meanIntervalWidth?: number;
}

/**
 * MAE, RMSE and (with prediction intervals) coverage and mean width of forecasts against targets.
 * Items whose target is NaN (nothing observed to compare with) are skipped. Throws `invalid-input`
 * when the arrays differ in length.
 */
export function evaluateRegression(
  pred: Float32Array,
  target: Float32Array,
  interval?: { lower: Float32Array; upper: Float32Array },
): RegressionReport {
  const total = target.length;
  if (pred.length !== total) throw new OslerError('invalid-input', `${pred.length} predictions for ${total} targets.`);
  if (interval && (interval.lower.length !== total || interval.upper.length !== total)) {
    throw new OslerError('invalid-input', `Interval bounds must have ${total} entries, one per target.`);
  }
  let n = 0;
  let absolute = 0;
  let squared = 0;
  let covered = 0;
  let width = 0;
  for (let i = 0; i < total; i++) {
    const y = target[i]!;
    if (Number.isNaN(y)) continue;
    n++;
    const e = pred[i]! - y;
    absolute += Math.abs(e);
    squared += e * e;
    if (interval) {
      const lo = interval.lower[i]!;
      const hi = interval.upper[i]!;
      if (lo <= y && y <= hi) covered++;
      width += hi - lo;
    }
  }
  const report: RegressionReport = {
    n,
    mae: n > 0 ? absolute / n : Number.NaN,
    rmse: n > 0 ? Math.sqrt(squared / n) : Number.NaN,
  };
  if (interval) {
    report.coverage = n > 0 ? covered / n : Number.NaN;
    report.meanIntervalWidth = n > 0 ? width / n : Number.NaN;
  }
  return report;
}
