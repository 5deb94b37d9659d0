import { describe, expect, it } from 'vitest';
import { forecastSpecOf, forecastsOf, riskShades, riskWindowsOf } from '../../../../renderer/src/vitals/forecast.js';

const H = 3_600_000;

describe('forecasts drawn ahead of the last value', () => {
  const targets = [
    { name: 'hr', variable: 'HR' },
    { name: 'map', variable: 'MAP', fallback: 'NIMAP' },
  ];
  const values = [
    { mean: 90, low: 80, high: 100 },
    { mean: 75, low: 65, high: 85 },
  ];

  it('fans from the last observed value to the interval at the forecast time', () => {
    const last = new Map([
      ['HR', { tMs: 46.5 * H, value: 88 }],
      ['MAP', { tMs: 40 * H, value: 70 }],
      ['NIMAP', { tMs: 46 * H, value: 72 }],
    ]);
    const out = forecastsOf({
      modelVersion: 'vitals-forecast v1',
      level: 0.9,
      targets,
      outputs: ['hr', 'map'],
      values,
      forecastAtMs: 48 * H,
      last: (s) => last.get(s) ?? null,
    });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({
      signal: 'HR',
      tMs: [46.5 * H, 48 * H],
      mean: [88, 90],
      lower: [88, 80],
      upper: [88, 100],
    });
    // MAP was last charted non-invasively: the forecast is drawn on that signal.
    expect(out[1]).toMatchObject({ signal: 'NIMAP', mean: [72, 75] });
  });

  it('starts at the anchor value stored with the prediction and leaves out signals the stay lacks', () => {
    const out = forecastsOf({
      modelVersion: 'v',
      level: 0.8,
      targets,
      outputs: ['hr', 'map'],
      values,
      forecastAtMs: 10 * H,
      lastValues: [95, null],
      last: (s) => (s === 'HR' ? { tMs: 8 * H, value: 99 } : null),
    });
    expect(out.map((f) => f.signal)).toEqual(['HR']);
    expect(out[0]!.mean[0]).toBe(95);
  });

  it('reads targets and level from bundle metadata, else names targets after the outputs', () => {
    const meta = { input: { options: { targets } }, intervalLevel: 0.8 };
    expect(forecastSpecOf(meta, ['hr', 'map'])).toEqual({ targets, level: 0.8 });
    expect(forecastSpecOf({}, ['hr'])).toEqual({ targets: [{ name: 'hr', variable: 'HR' }], level: 0.9 });
  });
});

describe('risk windows', () => {
  it('shades the steps that moved the risk most, signed, merged when adjacent and pushing the same way', () => {
    const windows = riskWindowsOf({
      stepStartsMs: [0, H, 2 * H, 3 * H, 4 * H, 5 * H],
      stepHours: 1,
      scores: [0.1, 0.9, 1.0, -2, -1, 0.5],
    });
    expect(windows).toEqual([
      { fromMs: H, toMs: 3 * H, weight: 0.5 },
      { fromMs: 3 * H, toMs: 5 * H, weight: -1 },
    ]);
    const shades = riskShades({ task: 't', modelVersion: 'v', score: 0.3, windows });
    expect(shades.map((s) => s.label)).toEqual(['t: raised 50%', 't: lowered 100%']);
    expect(shades[0]!.color).toMatch(/^rgba\(226/);
    expect(shades[1]!.color).toMatch(/^rgba\(79/);
  });

  it('shades nothing when no step moved the risk', () => {
    expect(riskWindowsOf({ stepStartsMs: [0, H], stepHours: 1, scores: [0, 0] })).toEqual([]);
  });
});
