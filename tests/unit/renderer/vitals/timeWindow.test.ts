import { describe, expect, it } from 'vitest';
import {
  clampWindow,
  formatDuration,
  formatElapsed,
  panWindow,
  pointBudget,
  tilesOf,
  zoomWindow,
  type WindowLimits,
} from '../../../../renderer/src/vitals/timeWindow.js';

// A 30-minute ECG viewed between 1 s and 1 h wide.
const ecg: WindowLimits = { bounds: { fromMs: 0, toMs: 1_800_000 }, minWidthMs: 1_000, maxWidthMs: 3_600_000 };

describe('vitals time window maths', () => {
  it('clamps the width and slides the window back inside the recording', () => {
    expect(clampWindow({ fromMs: 1_795_000, toMs: 1_805_000 }, ecg)).toEqual({ fromMs: 1_790_000, toMs: 1_800_000 });
    expect(clampWindow({ fromMs: 5_000, toMs: 5_100 }, ecg)).toEqual({ fromMs: 4_550, toMs: 5_550 });
    expect(clampWindow({ fromMs: -10, toMs: 9_000_000 }, ecg)).toEqual(ecg.bounds);
  });

  it('zooms about the anchor, keeping it at the same place on screen', () => {
    const w = zoomWindow({ fromMs: 10_000, toMs: 20_000 }, 0.5, ecg, 12_000);
    expect(w).toEqual({ fromMs: 11_000, toMs: 16_000 });
    expect(zoomWindow({ fromMs: 10_000, toMs: 20_000 }, 2, ecg)).toEqual({ fromMs: 5_000, toMs: 25_000 });
    // Never narrower than the limit, never past the start.
    expect(zoomWindow({ fromMs: 0, toMs: 2_000 }, 0.1, ecg, 0)).toEqual({ fromMs: 0, toMs: 1_000 });
    expect(zoomWindow({ fromMs: 0, toMs: 1_000_000 }, 4, ecg)).toEqual(ecg.bounds);
  });

  it('pans by a fraction of the width and stops at the edges', () => {
    expect(panWindow({ fromMs: 10_000, toMs: 20_000 }, 0.5, ecg)).toEqual({ fromMs: 15_000, toMs: 25_000 });
    expect(panWindow({ fromMs: 0, toMs: 10_000 }, -1, ecg)).toEqual({ fromMs: 0, toMs: 10_000 });
  });

  it('splits a 48-hour stay into one-hour calls', () => {
    const tiles = tilesOf({ fromMs: 0, toMs: 48 * 3_600_000 + 1 });
    expect(tiles).toHaveLength(49);
    expect(tiles[0]).toEqual({ fromMs: 0, toMs: 3_600_000 });
    expect(tiles.at(-1)).toEqual({ fromMs: 48 * 3_600_000, toMs: 48 * 3_600_000 + 1 });
    expect(tilesOf({ fromMs: 0, toMs: 10_000 })).toEqual([{ fromMs: 0, toMs: 10_000 }]);
  });

  it('asks for about one point per pixel within the contract limits', () => {
    expect(pointBudget(812.4)).toBe(812);
    expect(pointBudget(2)).toBe(10);
    expect(pointBudget(9_000)).toBe(4_000);
  });

  it('formats elapsed time and durations for the axes and the toolbar', () => {
    expect(formatElapsed(3_723_000)).toBe('1:02:03');
    expect(formatElapsed(65_000)).toBe('1:05');
    expect(formatElapsed(1_250, 2_000)).toBe('0:01.25');
    expect(formatElapsed(5_500, 10_000)).toBe('0:05.5');
    expect(formatDuration(10_000)).toBe('10 s');
    expect(formatDuration(1_805_556)).toBe('30.1 min');
    expect(formatDuration(171_420_000)).toBe('47.6 h');
  });
});
