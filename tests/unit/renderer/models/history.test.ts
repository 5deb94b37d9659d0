import { describe, expect, it } from 'vitest';
import { accuracySeries, lossSeries, pointsFromHistory, withPoint } from '../../../../renderer/src/models/history.js';

describe('training curves', () => {
  it('turns a stored history into one point per epoch, gaps as null', () => {
    const points = pointsFromHistory({ loss: [1.2, 0.8], valLoss: [1.3, 0.9], accuracy: [0.4] });
    expect(points).toEqual([
      { epoch: 1, loss: 1.2, valLoss: 1.3, accuracy: 0.4, valAccuracy: null },
      { epoch: 2, loss: 0.8, valLoss: 0.9, accuracy: null, valAccuracy: null },
    ]);
    expect(pointsFromHistory(null)).toEqual([]);
    expect(pointsFromHistory({ valLoss: [1] })).toEqual([]);
  });

  it('replaces a repeated epoch and keeps epochs in order', () => {
    const p = (epoch: number, loss: number) => ({ epoch, loss, valLoss: null, accuracy: null, valAccuracy: null });
    const points = withPoint(withPoint([p(2, 0.5)], p(1, 0.9)), p(2, 0.4));
    expect(points.map((x) => [x.epoch, x.loss])).toEqual([
      [1, 0.9],
      [2, 0.4],
    ]);
  });

  it('builds aligned uPlot data for loss and accuracy', () => {
    const points = pointsFromHistory({
      loss: [1, 0.5],
      valLoss: [1.1, 0.7],
      accuracy: [0.5, 0.7],
      valAccuracy: [0.4, 0.6],
    });
    expect(lossSeries(points)).toEqual([
      [1, 2],
      [1, 0.5],
      [1.1, 0.7],
    ]);
    expect(accuracySeries(points)).toEqual([
      [1, 2],
      [0.5, 0.7],
      [0.4, 0.6],
    ]);
  });
});
