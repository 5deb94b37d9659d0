import { describe, expect, it } from 'vitest';
import { worklistKey } from '../../../../renderer/src/worklist/keys.js';

describe('worklist keys', () => {
  const at = (index: number, count = 10) => ({ index, count, pageRows: 4 });

  it('moves with j/k and the arrows, clamped to the list', () => {
    expect(worklistKey('j', at(-1))).toEqual({ type: 'move', index: 0 });
    expect(worklistKey('j', at(3))).toEqual({ type: 'move', index: 4 });
    expect(worklistKey('ArrowDown', at(9))).toEqual({ type: 'move', index: 9 });
    expect(worklistKey('k', at(0))).toEqual({ type: 'move', index: 0 });
    expect(worklistKey('ArrowUp', at(5))).toEqual({ type: 'move', index: 4 });
  });

  it('pages and jumps', () => {
    expect(worklistKey('PageDown', at(1))).toEqual({ type: 'move', index: 5 });
    expect(worklistKey('PageUp', at(2))).toEqual({ type: 'move', index: 0 });
    expect(worklistKey('End', at(2))).toEqual({ type: 'move', index: 9 });
    expect(worklistKey('Home', at(7))).toEqual({ type: 'move', index: 0 });
  });

  it('opens the selected row, focuses search with /, ignores the rest', () => {
    expect(worklistKey('Enter', at(3))).toEqual({ type: 'open', index: 3 });
    expect(worklistKey('Enter', at(-1))).toEqual({ type: 'none' });
    expect(worklistKey('/', at(0, 0))).toEqual({ type: 'search' });
    expect(worklistKey('j', at(-1, 0))).toEqual({ type: 'none' });
    expect(worklistKey('x', at(1))).toEqual({ type: 'none' });
  });
});
