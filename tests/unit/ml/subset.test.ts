import { describe, expect, it } from 'vitest';
import type { ForecastSet } from '../../../native/ml/tasks/index.js';
import { subsetOf, type EncodedSet } from '../../../native/ml/tasks/types.js';

const set: EncodedSet = {
  x: { shape: [3, 2], dtype: 'int32', values: Int32Array.from([1, 2, 3, 4, 5, 6]) },
  y: { shape: [3, 2], dtype: 'float32', values: Float32Array.from([1, 0, 0, 1, 1, 0]) },
  labels: Int32Array.from([0, 1, 0]),
  ids: ['a', 'b', 'c'],
  patientIds: ['p1', 'p2', 'p1'],
  skipped: [{ id: 'z', reason: 'unreadable' }],
};

describe('subsetOf (rows of an encoded set)', () => {
  it('takes inputs, targets, labels, ids and patients at the indices, in their order, keeping dtypes', () => {
    const s = subsetOf(set, [2, 0]);
    expect(s.x).toEqual({ shape: [2, 2], dtype: 'int32', values: Int32Array.from([5, 6, 1, 2]) });
    expect(s.y).toEqual({ shape: [2, 2], dtype: 'float32', values: Float32Array.from([1, 0, 1, 0]) });
    expect(Array.from(s.labels!)).toEqual([0, 0]);
    expect(s.ids).toEqual(['c', 'a']);
    expect(s.patientIds).toEqual(['p1', 'p1']);
    expect(s.skipped).toEqual(set.skipped);
    expect(subsetOf(set, []).x.shape).toEqual([0, 2]);
  });

  it("carries a forecasting set's last values per item", () => {
    const forecast: ForecastSet = { ...set, lastValues: Float32Array.from([10, 11, 20, 21, 30, 31]) };
    const s = subsetOf(forecast, [1, 2]);
    expect(Array.from(s.lastValues)).toEqual([20, 21, 30, 31]);
    expect('lastValues' in subsetOf(set, [0])).toBe(false);
  });
});
