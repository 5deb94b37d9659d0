import { describe, expect, it } from 'vitest';
import { FLAG_SCORE, passesFlag } from '../../../../renderer/src/worklist/flag.js';

describe('model flag filter', () => {
  it('keeps every row without a flag filter', () => {
    expect(passesFlag(null, '')).toBe(true);
  });

  it('keeps scored rows, and flagged ones only at or above the flag score', () => {
    expect(passesFlag(null, 'scored')).toBe(false);
    expect(passesFlag(0.1, 'scored')).toBe(true);
    expect(passesFlag(FLAG_SCORE - 0.01, 'flagged')).toBe(false);
    expect(passesFlag(FLAG_SCORE, 'flagged')).toBe(true);
  });
});
