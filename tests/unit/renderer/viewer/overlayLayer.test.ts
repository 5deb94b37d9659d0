import { describe, expect, it } from 'vitest';
import { paintLabels } from '../../../../renderer/src/viewer/overlayLayer.js';

describe('label map painting', () => {
  // 4x4 with a 2x2 block of label 1 and one pixel of label 2.
  const labels = Uint8Array.from([0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 2, 0, 0, 0]);
  const colors = new Map<number, [number, number, number]>([
    [1, [255, 0, 0]],
    [2, [0, 0, 255]],
  ]);

  it('paints visible labels in their colours at the fill opacity and counts them', () => {
    const { rgba, drawn } = paintLabels(labels, 4, 4, {
      colors,
      visible: new Set([1, 2]),
      opacity: 0.5,
      outline: false,
    });
    expect(drawn).toBe(5);
    expect([...rgba.slice(5 * 4, 5 * 4 + 4)]).toEqual([255, 0, 0, 128]);
    expect([...rgba.slice(12 * 4, 12 * 4 + 4)]).toEqual([0, 0, 255, 128]);
    expect(rgba[3]).toBe(0);
  });

  it('hides labels that are not visible', () => {
    const { rgba, drawn } = paintLabels(labels, 4, 4, { colors, visible: new Set([2]), opacity: 1, outline: false });
    expect(drawn).toBe(1);
    expect(rgba[5 * 4 + 3]).toBe(0);
  });

  it('draws region boundaries opaque when outlining, interiors at the fill opacity', () => {
    const big = new Uint8Array(25);
    for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) big[y * 5 + x] = 1;
    const { rgba } = paintLabels(big, 5, 5, { colors, visible: new Set([1]), opacity: 0.2, outline: true });
    expect(rgba[(1 * 5 + 1) * 4 + 3]).toBe(255);
    expect(rgba[(2 * 5 + 2) * 4 + 3]).toBe(51);
  });
});
