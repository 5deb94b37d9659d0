import { describe, expect, it } from 'vitest';
import { classificationView, rowShare } from '../../../../renderer/src/models/report.js';

describe('classification report view', () => {
  const report = {
    classes: ['normal', 'pneumonia'],
    perClass: [
      { className: 'normal', precision: 0.9, recall: 0.8, f1: 0.847, support: 10 },
      { className: 'pneumonia', precision: null, recall: 0, f1: 0, support: 0 },
    ],
    confusion: [
      [8, 2],
      [0, 0],
    ],
    reliability: [
      { lower: 0.5, upper: 0.6, count: 0, meanConfidence: 0, accuracy: 0 },
      { lower: 0.9, upper: 1, count: 10, meanConfidence: 0.95, accuracy: 0.8 },
    ],
    rocCurves: [{ className: 'pneumonia', fpr: [0, 0.5, 1], tpr: [0, 1, 1] }],
  };

  it('reads classes, per-class rows, confusion, non-empty reliability bins and ROC points', () => {
    const v = classificationView(report)!;
    expect(v.classes).toEqual(['normal', 'pneumonia']);
    expect(v.perClass[0]!.f1).toBeCloseTo(0.847);
    // NaN travels as null over JSON and must stay "not a number", not become 0.
    expect(v.perClass[1]!.precision).toBeNaN();
    expect(v.confusion).toEqual([
      [8, 2],
      [0, 0],
    ]);
    expect(v.reliability).toHaveLength(1);
    expect(v.reliability[0]!.meanConfidence).toBe(0.95);
    expect(v.rocCurves[0]).toEqual({ className: 'pneumonia', fpr: [0, 0.5, 1], tpr: [0, 1, 1] });
  });

  it('answers null for a forecaster report and tolerates missing parts', () => {
    expect(classificationView({ heartRate: { mae: 3 } })).toBeNull();
    const v = classificationView({ classes: ['a'] })!;
    expect(v.perClass).toEqual([]);
    expect(v.rocCurves).toEqual([]);
  });

  it('shades a confusion cell by its share of the true-class row', () => {
    expect(rowShare(report.confusion, 0, 0)).toBeCloseTo(0.8);
    expect(rowShare(report.confusion, 0, 1)).toBeCloseTo(0.2);
    expect(rowShare(report.confusion, 1, 1)).toBe(0);
  });
});
