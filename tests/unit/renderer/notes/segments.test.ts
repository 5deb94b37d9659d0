import { describe, expect, it } from 'vitest';
import { focusSnippet, segmentText } from '../../../../renderer/src/notes/segments.js';

describe('note text segments', () => {
  const text = 'Acute migraine with aura and migraine';

  it('marks search hits and keeps the text whole', () => {
    const segs = segmentText(text, [
      [6, 14],
      [29, 37],
    ]);
    expect(segs.map((s) => s.text).join('')).toBe(text);
    expect(segs.filter((s) => s.hit).map((s) => s.text)).toEqual(['migraine', 'migraine']);
    expect(segs.every((s) => s.score === null)).toBe(true);
  });

  it('merges overlapping hits and ignores empty or out-of-range spans', () => {
    const segs = segmentText(text, [
      [0, 5],
      [3, 10],
      [20, 20],
      [100, 120],
    ]);
    expect(segs.filter((s) => s.hit).map((s) => s.text)).toEqual(['Acute migr']);
    expect(segmentText('', [[0, 3]])).toEqual([]);
  });

  it('layers token scores under hits so a prediction can be shown with the search', () => {
    const segs = segmentText(text, [[6, 14]], [{ start: 0, end: 14, score: 0.8 }]);
    expect(segs.slice(0, 2)).toEqual([
      { text: 'Acute ', start: 0, hit: false, score: 0.8 },
      { text: 'migraine', start: 6, hit: true, score: 0.8 },
    ]);
    expect(segs[2]).toMatchObject({ hit: false, score: null });
  });
});

describe('snippet focus', () => {
  it('moves the first match near the start of a one-line cell', () => {
    const text = 'Calcium channel blockers have also been used in the treatment of migraine in children.';
    const at = text.indexOf('migraine');
    const out = focusSnippet(text, [[at, at + 8]], 10);
    expect(out.text.startsWith('…')).toBe(true);
    const [[s, e]] = out.highlights as [[number, number]];
    expect(out.text.slice(s, e)).toBe('migraine');
    expect(s).toBeLessThanOrEqual(12);
  });

  it('leaves a snippet whose match is already near the start alone', () => {
    expect(focusSnippet('migraine now', [[0, 8]])).toEqual({ text: 'migraine now', highlights: [[0, 8]] });
    expect(focusSnippet('no match', [])).toEqual({ text: 'no match', highlights: [] });
  });
});
