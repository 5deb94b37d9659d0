import { describe, expect, it } from 'vitest';
import { directionLabel, edgeLabels } from '../../../../renderer/src/viewer/orientation.js';

describe('orientation markers', () => {
  it('labels the edges of a standard axial slice', () => {
    expect(edgeLabels([1, 0, 0], [0, 1, 0])).toEqual({ left: 'R', right: 'L', top: 'A', bottom: 'P' });
  });

  it('labels coronal and sagittal slices', () => {
    expect(edgeLabels([1, 0, 0], [0, 0, -1])).toEqual({ left: 'R', right: 'L', top: 'H', bottom: 'F' });
    expect(edgeLabels([0, 1, 0], [0, 0, -1])).toEqual({ left: 'A', right: 'P', top: 'H', bottom: 'F' });
  });

  it('adds the secondary direction of an oblique (tilted) slice and drops small components', () => {
    const tilt = (18.5 * Math.PI) / 180;
    expect(directionLabel([0, Math.cos(tilt), -Math.sin(tilt)])).toBe('PF');
    expect(directionLabel([0.99, 0.1, 0])).toBe('L');
    expect(directionLabel([0, 0, 0])).toBe('');
  });
});
