import { describe, expect, it } from 'vitest';
import { needsMore, revealRow, visibleRows } from '../../../../renderer/src/worklist/virtualWindow.js';

describe('virtual list window', () => {
  it('renders only the rows in view plus the overscan', () => {
    expect(visibleRows(0, 320, 32, 100_000, 4)).toEqual({ start: 0, end: 15, offsetPx: 0 });
    // Scrolled deep into 100,000 rows: the window stays the same size.
    const w = visibleRows(3_200_000, 320, 32, 100_000, 4);
    expect(w).toEqual({ start: 99_996, end: 100_000, offsetPx: 99_996 * 32 });
    const mid = visibleRows(32 * 5000 + 10, 320, 32, 100_000, 4);
    expect(mid.start).toBe(4996);
    expect(mid.end - mid.start).toBeLessThanOrEqual(11 + 8);
  });

  it('handles an empty list, a short list and a negative (rubber-band) scroll', () => {
    expect(visibleRows(0, 320, 32, 0)).toEqual({ start: 0, end: 0, offsetPx: 0 });
    expect(visibleRows(0, 320, 32, 3)).toEqual({ start: 0, end: 3, offsetPx: 0 });
    expect(visibleRows(-50, 320, 32, 100, 0)).toEqual({ start: 0, end: 11, offsetPx: 0 });
  });

  it('scrolls the least distance that reveals a row', () => {
    expect(revealRow(5, 32, 0, 320)).toBe(0);
    expect(revealRow(10, 32, 0, 320)).toBe(32 * 11 - 320);
    expect(revealRow(2, 32, 200, 320)).toBe(64);
  });

  it('asks for the next page before the loaded end comes into view', () => {
    expect(needsMore({ start: 0, end: 20, offsetPx: 0 }, 100, true, 50)).toBe(false);
    expect(needsMore({ start: 40, end: 60, offsetPx: 0 }, 100, true, 50)).toBe(true);
    expect(needsMore({ start: 80, end: 100, offsetPx: 0 }, 100, false, 50)).toBe(false);
  });
});
