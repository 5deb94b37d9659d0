import { describe, expect, it } from 'vitest';
import { splitByPatient, stratifiedFolds } from '../../../native/ml/train/split.js';

describe('splitByPatient', () => {
  // 200 items from 50 patients (4 each); a patient's items share a label, 1 in 5 patients positive.
  const patients = Array.from({ length: 200 }, (_, i) => `p${Math.floor(i / 4)}`);
  const labels = Int32Array.from(patients, (p) => (Number(p.slice(1)) % 5 === 0 ? 1 : 0));

  it('never puts one patient on both sides', () => {
    const { train, validation } = splitByPatient(patients, labels, 0.2, 7);
    const trainPatients = new Set(train.map((i) => patients[i]));
    expect(validation.some((i) => trainPatients.has(patients[i]!))).toBe(false);
    expect(train.length + validation.length).toBe(200);
  });

  it('is stratified: both classes appear in validation in about the overall proportion', () => {
    const { validation } = splitByPatient(patients, labels, 0.2, 7);
    const positives = validation.filter((i) => labels[i] === 1).length;
    expect(validation.length).toBe(40); // 10 of 50 patients x 4 items
    expect(positives).toBe(8); // 2 of the 10 positive patients
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = splitByPatient(patients, labels, 0.2, 7);
    expect(splitByPatient(patients, labels, 0.2, 7)).toEqual(a);
    expect(splitByPatient(patients, labels, 0.2, 8).validation).not.toEqual(a.validation);
  });

  it('refuses fractions outside (0, 1)', () => {
    expect(() => splitByPatient(patients, labels, 0, 1)).toThrow(RangeError);
    expect(() => splitByPatient(patients, null, 1, 1)).toThrow(RangeError);
  });
});

describe('stratifiedFolds', () => {
  const labels = Int32Array.from({ length: 103 }, (_, i) => (i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0));
  const rows = [...labels.keys()].filter((i) => i % 10 !== 9);

  it('deals each class evenly over the folds, only the given rows, the same way for a seed', () => {
    const fold = stratifiedFolds(labels, rows, 4, 21);
    for (let i = 0; i < labels.length; i++) expect(fold[i]! >= 0).toBe(rows.includes(i));
    for (const c of [0, 1, 2]) {
      const counts = [0, 1, 2, 3].map((f) => rows.filter((i) => labels[i] === c && fold[i] === f).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(stratifiedFolds(labels, rows, 4, 21)).toEqual(fold);
    expect(stratifiedFolds(labels, rows, 4, 22)).not.toEqual(fold);
  });
});
