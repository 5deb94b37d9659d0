import { describe, expect, it } from 'vitest';
import {
  formatEta,
  formatMetric,
  formatWhen,
  headline,
  higherIsBetter,
  metricName,
  taskName,
} from '../../../../renderer/src/models/format.js';

describe('models screen formatting', () => {
  it('formats metrics with three decimals, integers as they are and missing values as a dash', () => {
    expect(formatMetric('auc', 0.91234)).toBe('0.912');
    expect(formatMetric('n', 120)).toBe('120');
    expect(formatMetric('auc', Number.NaN)).toBe('–');
    expect(formatMetric('auc', undefined)).toBe('–');
  });

  it('picks the headline metrics present, in reading order', () => {
    expect(headline({ ece: 0.05, accuracy: 0.8, logLoss: 0.4, auc: 0.9 })).toEqual([
      { key: 'accuracy', value: 0.8 },
      { key: 'auc', value: 0.9 },
      { key: 'ece', value: 0.05 },
    ]);
  });

  it('knows which metrics are better when lower', () => {
    expect(higherIsBetter('auc')).toBe(true);
    expect(higherIsBetter('ece')).toBe(false);
    expect(higherIsBetter('mae')).toBe(false);
    expect(metricName('macroF1')).toBe('Macro F1');
    expect(metricName('custom')).toBe('custom');
  });

  it('writes remaining time in seconds, minutes or hours', () => {
    expect(formatEta(0)).toBe('–');
    expect(formatEta(40_400)).toBe('40 s');
    expect(formatEta(125_000)).toBe('2 min 05 s');
    expect(formatEta(3_725_000)).toBe('1 h 02 min');
  });

  it('shows timestamps to the minute and tasks in plain words', () => {
    expect(formatWhen('2026-11-28T16:26:24.014Z')).toBe('2026-11-28 16:26');
    expect(formatWhen(null)).toBe('–');
    expect(taskName('text')).toBe('Notes');
    expect(taskName('vitals-risk')).toBe('Vital signs: risk');
  });
});
