import { describe, expect, it } from 'vitest';
import { orderClasses, triageKey } from '../../../../renderer/src/notes/triageKeys.js';

describe('triage keys', () => {
  const classes = ['1', '2', '3'];

  it('labels with the class under a number key', () => {
    expect(triageKey('2', classes)).toEqual({ type: 'label', value: '2' });
    expect(triageKey('4', classes)).toEqual({ type: 'none' });
    expect(triageKey('0', classes)).toEqual({ type: 'none' });
  });

  it('skips, goes back and changes task', () => {
    expect(triageKey('a', classes)).toEqual({ type: 'accept' });
    expect(triageKey('s', classes)).toEqual({ type: 'skip' });
    expect(triageKey('Escape', classes)).toEqual({ type: 'back' });
    expect(triageKey(']', classes)).toEqual({ type: 'task', delta: 1 });
    expect(triageKey('[', classes)).toEqual({ type: 'task', delta: -1 });
  });

  it('orders numeric classes numerically and names alphabetically', () => {
    expect(orderClasses(['10', '2', '1', '2'])).toEqual(['1', '2', '10']);
    expect(orderClasses(['normal', 'abnormal'])).toEqual(['abnormal', 'normal']);
  });
});
