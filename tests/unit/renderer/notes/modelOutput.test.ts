import { describe, expect, it } from 'vitest';
import {
  classOptions,
  labelCodesOf,
  pickModel,
  scaleAttributions,
  topWords,
  valueNames,
} from '../../../../renderer/src/notes/modelOutput.js';

const model = (name: string, outputs: string[], active: number | null = 1) => ({
  name,
  title: name,
  outputs,
  activeVersionId: active,
});

describe('which model serves a label task', () => {
  const classes = ['1', '2', '3'];

  it('prefers the model named after the task', () => {
    const models = [model('sentiment', ['a', 'b']), model('abstract-condition', ['x', 'y', 'z'])];
    expect(pickModel(models, 'condition', classes)?.name).toBe('abstract-condition');
  });

  it('falls back to a model whose codes or classes cover the task classes, never an inactive one', () => {
    const models = [model('a', ['p', 'q']), model('b', ['x', 'y', 'z']), model('condition-old', ['1', '2', '3'], null)];
    const codes = (n: string) => (n === 'b' ? ['1', '2', '3'] : []);
    expect(pickModel(models, 'condition', classes, codes)?.name).toBe('b');
    expect(pickModel(models, 'condition', ['9'], codes)).toBeNull();
  });

  it('uses the only active model when nothing else tells', () => {
    expect(pickModel([model('m', ['p'])], 'other', [])?.name).toBe('m');
    expect(pickModel([], 'other', [])).toBeNull();
  });
});

describe('prediction classes', () => {
  it('orders classes by probability and stores them as the recorded codes', () => {
    const options = classOptions(['neoplasms', 'digestive', 'nervous'], [0.2, 0.7, 0.1], ['1', '2', '3']);
    expect(options.map((o) => o.value)).toEqual(['2', '1', '3']);
    expect(options[0]).toEqual({ name: 'digestive', value: '2', probability: 0.7 });
  });

  it('stores classes by name when the model records no codes', () => {
    expect(classOptions(['no', 'yes'], [0.4, 0.6]).map((o) => o.value)).toEqual(['yes', 'no']);
  });

  it('names codes and reads them from bundle metadata', () => {
    expect(valueNames(['neoplasms', 'x'], ['1', 'x'])).toEqual({ 1: 'neoplasms' });
    expect(labelCodesOf({ input: { options: { labelCodes: ['1', '2'] } } })).toEqual(['1', '2']);
    expect(labelCodesOf({ input: { kind: 'text' } })).toEqual([]);
  });
});

describe('token attributions', () => {
  it('scales to [-1, 1] by the strongest token and drops tokens without weight', () => {
    const scaled = scaleAttributions([
      { start: 0, end: 4, score: 0.02 },
      { start: 5, end: 9, score: -0.01 },
      { start: 10, end: 14, score: 0.0001 },
    ]);
    expect(scaled).toEqual([
      { start: 0, end: 4, score: 1 },
      { start: 5, end: 9, score: -0.5 },
    ]);
    expect(scaleAttributions([{ start: 0, end: 1, score: 0 }])).toEqual([]);
  });

  it('lists the words that argued for the class, strongest first, once each', () => {
    const text = 'tumour in the tumour liver';
    const tokens = [
      { start: 0, end: 6, score: 0.9 },
      { start: 14, end: 20, score: 0.8 },
      { start: 21, end: 26, score: 0.5 },
      { start: 7, end: 9, score: -0.3 },
    ];
    expect(topWords(text, tokens)).toEqual(['tumour', 'liver']);
  });
});
