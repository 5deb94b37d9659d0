import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDicom,
  patientToPixel,
  pixelToPatient,
  seriesGeometry,
  sliceGeometryInput,
  type SliceGeometryInput,
} from '../../../native/dicom/index.js';
import { dataDir } from '../helpers.js';

const data = dataDir();

function axial(id: string, z: number, extra: Partial<SliceGeometryInput> = {}): SliceGeometryInput {
  return {
    id,
    imagePositionPatient: [0, 0, z],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0],
    pixelSpacingMm: [0.5, 0.5],
    rows: 4,
    columns: 4,
    ...extra,
  };
}

describe('series geometry (synthetic)', () => {
  it('sorts by position along the normal and measures uniform spacing', () => {
    const g = seriesGeometry([axial('c', 5), axial('a', -5), axial('b', 0)]);
    expect(g.order).toEqual(['a', 'b', 'c']);
    expect(g.sliceSpacingMm).toBeCloseTo(5);
    expect(g.uniformSpacing).toBe(true);
    expect(g.tiltDeg).toBeCloseTo(0);
    expect(g.issues).toEqual([]);
  });
  it('falls back to Instance Number and reports missing positions', () => {
    const g = seriesGeometry([
      { id: 'x', instanceNumber: 2 },
      { id: 'y', instanceNumber: 1 },
    ]);
    expect(g.sortedBy).toBe('instance-number');
    expect(g.order).toEqual(['y', 'x']);
    expect(g.issues).toContain('missing-position');
    expect(g.issues).toContain('missing-pixel-spacing');
  });
  it('reports duplicates, mixed orientation and uneven spacing', () => {
    const g = seriesGeometry([
      axial('a', 0),
      axial('b', 0),
      axial('c', 2),
      axial('d', 7, { imageOrientationPatient: [0, 1, 0, 0, 0, -1] }),
    ]);
    expect(g.issues).toEqual(expect.arrayContaining(['duplicate-position', 'mixed-orientation', 'uneven-spacing']));
  });
  it('maps pixels to patient LPS and back', () => {
    const s = {
      id: 's',
      imagePositionPatient: [-100, -50, 20],
      imageOrientationPatient: [1, 0, 0, 0, 0.8, -0.6],
      pixelSpacingMm: [0.7, 0.5],
    };
    const p = pixelToPatient(s, 10, 20)!;
    expect(p[0]).toBeCloseTo(-100 + 10 * 0.5);
    expect(p[1]).toBeCloseTo(-50 + 20 * 0.7 * 0.8);
    expect(p[2]).toBeCloseTo(20 - 20 * 0.7 * 0.6);
    const back = patientToPixel(s, p)!;
    expect(back.column).toBeCloseTo(10);
    expect(back.row).toBeCloseTo(20);
    expect(back.distanceMm).toBeCloseTo(0);
    expect(pixelToPatient({ id: 'n' }, 0, 0)).toBeUndefined();
  });
});

describe.skipIf(!data)('head CT (GE, tilted, uneven spacing)', () => {
  it('sorts 28 slices, detects the 18.5 degree gantry tilt and the uneven spacing', () => {
    const dir = join(data!, 'dicom/ct-head-ge');
    const files = readdirSync(dir).filter((f) => f.endsWith('.dcm'));
    const slices = files.map((f) =>
      sliceGeometryInput(parseDicom(readFileSync(join(dir, f)), { untilTag: '7FE00010' }), f),
    );
    const shuffled = [...slices]
      .reverse()
      .sort((a, b) => ((a.id.charCodeAt(1) * 31) % 7) - ((b.id.charCodeAt(1) * 31) % 7));
    const g = seriesGeometry(shuffled);
    expect(g.order).toHaveLength(28);
    expect(g.sortedBy).toBe('position');
    // Spatial order agrees with instance order here (monotonic along the normal).
    const inst = new Map(slices.map((s) => [s.id, s.instanceNumber!]));
    const numbers = g.order.map((id) => inst.get(id)!);
    const ascending = numbers.every((n, i) => i === 0 || n > numbers[i - 1]!);
    const descending = numbers.every((n, i) => i === 0 || n < numbers[i - 1]!);
    expect(ascending || descending).toBe(true);
    expect(g.tiltDeg).toBeGreaterThan(18);
    expect(g.tiltDeg).toBeLessThan(19);
    expect(g.issues).toEqual(expect.arrayContaining(['gantry-tilt', 'uneven-spacing']));
    expect(g.uniformSpacing).toBe(false);
    const distinct = [...new Set(g.gapsMm.map((x) => x.toFixed(2)))];
    expect(distinct.length).toBeGreaterThan(1);
    expect(g.gapsMm.every((x) => x > 0)).toBe(true);
    expect(g.pixelSpacingMm![0]).toBeCloseTo(0.488, 3);
  });
});
