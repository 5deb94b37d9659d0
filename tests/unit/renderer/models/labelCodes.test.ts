import { describe, expect, it } from 'vitest';
import {
  classOfValue,
  countsByClass,
  labelCodesOf,
  targetKindOf,
  valueForClass,
} from '../../../../renderer/src/models/labelCodes.js';

const outputs = ['neoplasms', 'digestive', 'nervous', 'cardiovascular', 'general'];
const codes = ['1', '2', '3', '4', '5'];

describe('label values versus model classes', () => {
  it('reads the label codes a text bundle records, and none otherwise', () => {
    expect(labelCodesOf({ input: { kind: 'text', options: { labelCodes: [1, 2, 3, 4, 5] } } })).toEqual(codes);
    expect(labelCodesOf({ input: { kind: 'image' } })).toBeNull();
    expect(labelCodesOf({})).toBeNull();
  });

  it('maps stored values to classes by code or by name in any case', () => {
    expect(classOfValue(outputs, codes, '3')).toBe('nervous');
    expect(classOfValue(outputs, codes, ' Digestive ')).toBe('digestive');
    expect(classOfValue(outputs, null, '3')).toBeNull();
    expect(classOfValue(outputs, codes, 'other')).toBeNull();
  });

  it('writes the code when the model records codes, else the class name', () => {
    expect(valueForClass(outputs, codes, 'cardiovascular')).toBe('4');
    expect(valueForClass(outputs, null, 'cardiovascular')).toBe('cardiovascular');
  });

  it('counts labels per class and keeps values that match no class apart', () => {
    const counts = countsByClass(outputs, codes, [
      { value: '1', count: 10, sources: { human: 1, imported: 9, 'model-accepted': 0 }, newSince: 1 },
      { value: 'neoplasms', count: 2, sources: { human: 0, imported: 0, 'model-accepted': 2 }, newSince: 2 },
      { value: '9', count: 3 },
    ]);
    expect(counts.find((c) => c.name === 'neoplasms')).toEqual({
      name: 'neoplasms',
      count: 12,
      known: true,
      sources: { human: 1, imported: 9, 'model-accepted': 2 },
      newSince: 3,
    });
    expect(counts.find((c) => c.name === 'general')).toMatchObject({
      name: 'general',
      count: 0,
      known: true,
      newSince: 0,
    });
    expect(counts.find((c) => c.name === '9')).toMatchObject({ name: '9', count: 3, known: false });
  });

  it('knows which case-store item a model of each task labels', () => {
    expect(targetKindOf('text')).toBe('note');
    expect(targetKindOf('image')).toBe('series');
    expect(targetKindOf('vitals-risk')).toBe('recording');
  });
});
