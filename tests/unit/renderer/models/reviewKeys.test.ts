import { describe, expect, it } from 'vitest';
import { reviewKey } from '../../../../renderer/src/models/reviewKeys.js';

describe('review queue keys', () => {
  it('accepts the prediction with Enter or A', () => {
    expect(reviewKey('Enter', 5)).toEqual({ type: 'accept' });
    expect(reviewKey('a', 5)).toEqual({ type: 'accept' });
  });

  it('chooses a class by its number, only among the model classes', () => {
    expect(reviewKey('1', 5)).toEqual({ type: 'choose', index: 0 });
    expect(reviewKey('5', 5)).toEqual({ type: 'choose', index: 4 });
    expect(reviewKey('6', 5)).toEqual({ type: 'none' });
    expect(reviewKey('0', 5)).toEqual({ type: 'none' });
  });

  it('moves with J/K and the arrows, skips with S, ignores other keys', () => {
    expect(reviewKey('j', 2)).toEqual({ type: 'move', delta: 1 });
    expect(reviewKey('ArrowDown', 2)).toEqual({ type: 'move', delta: 1 });
    expect(reviewKey('s', 2)).toEqual({ type: 'move', delta: 1 });
    expect(reviewKey('k', 2)).toEqual({ type: 'move', delta: -1 });
    expect(reviewKey('ArrowUp', 2)).toEqual({ type: 'move', delta: -1 });
    expect(reviewKey('x', 2)).toEqual({ type: 'none' });
  });
});
