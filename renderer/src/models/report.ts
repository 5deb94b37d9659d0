/** Typed views of the loosely typed evaluation report that `models.compare` returns. */

/** Precision, recall, F1 and support of one class. */
export interface ClassRow {
  className: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** One calibration bin: mean confidence against observed accuracy. */
export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  meanConfidence: number;
  accuracy: number;
}

/** One ROC curve (false positive rate against true positive rate). */
export interface RocCurve {
  className: string;
  fpr: number[];
  tpr: number[];
}

/** The parts of a classification report the screen draws. */
export interface ClassificationView {
  classes: string[];
  perClass: ClassRow[];
  /** Rows = true class, columns = predicted class. */
  confusion: number[][];
  reliability: ReliabilityBin[];
  rocCurves: RocCurve[];
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : Number.NaN);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const rec = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : String(v ?? ''));

/**
 * Reads a classification report; missing or malformed parts become empty lists, and NaN (sent as
 * null over JSON) stays NaN so the screen shows a dash. Returns null for a forecaster's report.
 */
export function classificationView(report: Readonly<Record<string, unknown>>): ClassificationView | null {
  if (!Array.isArray(report.classes)) return null;
  return {
    classes: report.classes.map(str),
    perClass: arr(report.perClass).map((r) => {
      const o = rec(r);
      return {
        className: str(o.className),
        precision: num(o.precision),
        recall: num(o.recall),
        f1: num(o.f1),
        support: num(o.support),
      };
    }),
    confusion: arr(report.confusion).map((row) => arr(row).map(num)),
    reliability: arr(report.reliability)
      .map((b) => {
        const o = rec(b);
        return {
          lower: num(o.lower),
          upper: num(o.upper),
          count: num(o.count),
          meanConfidence: num(o.meanConfidence),
          accuracy: num(o.accuracy),
        };
      })
      .filter((b) => b.count > 0),
    rocCurves: arr(report.rocCurves).map((c) => {
      const o = rec(c);
      return { className: str(o.className), fpr: arr(o.fpr).map(num), tpr: arr(o.tpr).map(num) };
    }),
  };
}

/** Cell shade 0..1 of a confusion matrix cell: its share of the true class's row. */
export function rowShare(confusion: readonly (readonly number[])[], row: number, col: number): number {
  const r = confusion[row] ?? [];
  const total = r.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const v = r[col] ?? 0;
  return total === 0 || !Number.isFinite(v) ? 0 : v / total;
}
