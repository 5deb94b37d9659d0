import { describe, expect, it } from 'vitest';
import { colourLut, lutGradient, paintHeatmap, topSlices } from '../../../../renderer/src/viewer/heatmap.js';
import { modelsFor, sliceClass, type ImageModel } from '../../../../renderer/src/viewer/modelChoice.js';

describe('heatmap colour map', () => {
  const lut = colourLut();

  it('runs dark to bright (inferno) over 256 entries', () => {
    expect(lut.length).toBe(256 * 3);
    const luminance = (i: number) => 0.299 * lut[i * 3]! + 0.587 * lut[i * 3 + 1]! + 0.114 * lut[i * 3 + 2]!;
    expect(luminance(0)).toBeLessThan(10);
    expect(luminance(255)).toBeGreaterThan(200);
    // Perceptual maps rise monotonically in lightness.
    for (let i = 8; i < 256; i += 8) expect(luminance(i)).toBeGreaterThan(luminance(i - 8));
  });

  it('paints values at or over the threshold, in LUT colours, with alpha rising to the opacity', () => {
    const values = Float32Array.from([0, 0.1, 0.5, 1]);
    const { rgba, drawn } = paintHeatmap(values, 2, 2, { lut, opacity: 0.5, threshold: 0.2 });
    expect(drawn).toBe(2);
    expect(rgba[3]).toBe(0);
    expect(rgba[7]).toBe(0);
    expect([...rgba.slice(12, 15)]).toEqual([...lut.slice(255 * 3, 255 * 3 + 3)]);
    expect(rgba[15]).toBe(Math.round(255 * 0.5));
    expect(rgba[11]).toBeGreaterThan(0);
    expect(rgba[11]).toBeLessThan(rgba[15]!);
  });

  it('draws nothing at opacity 0 alpha and nothing when every value is under the threshold', () => {
    const values = Float32Array.from([0.3, 0.6]);
    expect(paintHeatmap(values, 1, 2, { lut, opacity: 1, threshold: 0.9 }).drawn).toBe(0);
    const clear = paintHeatmap(values, 1, 2, { lut, opacity: 0, threshold: 0 });
    expect(clear.rgba[3]).toBe(0);
    expect(clear.rgba[7]).toBe(0);
  });

  it('ignores NaN and negative values', () => {
    const { drawn } = paintHeatmap(Float32Array.from([Number.NaN, -1, 0]), 1, 3, { lut, opacity: 1, threshold: 0 });
    expect(drawn).toBe(0);
  });

  it('gives the legend a bottom-to-top gradient of the LUT', () => {
    const g = lutGradient(lut, 2);
    expect(g).toMatch(/^linear-gradient\(to top, rgb\(0, 0, 4\) 0%, .* 50%, rgb\(252, 255, 164\) 100%\)$/);
  });
});

describe('top slices', () => {
  it('lists the highest scores first, ties by slice order', () => {
    expect(topSlices([0.1, 0.9, 0.5, 0.9, 0.2], 3)).toEqual([1, 3, 2]);
    expect(topSlices([0.4], 3)).toEqual([0]);
  });
});

describe('choosing an image model for a series', () => {
  const model = (name: string, modalities: string[], activeVersion: string | null = '1'): ImageModel => ({
    name,
    title: name,
    outputs: ['0', '1'],
    positiveClass: '1',
    activeVersion,
    modalities,
  });

  it('prefers models naming the modality, then unrestricted ones, and drops the rest', () => {
    const models = [model('any', []), model('cxr', ['CR', 'DX']), model('ct', ['CT']), model('off', ['CT'], null)];
    expect(modelsFor(models, 'CT').map((m) => m.name)).toEqual(['ct', 'any']);
    expect(modelsFor(models, 'DX').map((m) => m.name)).toEqual(['cxr', 'any']);
  });

  it('reads a two-class slice score as the positive class from 0.5', () => {
    const m = model('ct', ['CT']);
    expect(sliceClass(m, 0.5)).toBe('1');
    expect(sliceClass(m, 0.49)).toBe('0');
    expect(sliceClass({ outputs: ['a', 'b', 'c'], positiveClass: null }, 0.9)).toBeNull();
  });
});
