import type { DicomDataset } from './dataset.js';

/** A 3-vector in patient LPS millimetres. */
export type Vec3 = readonly [number, number, number];

/** The geometry fields of one image (one frame of a single-frame instance). */
export interface SliceGeometryInput {
  /** Caller's id for the slice (e.g. SOP Instance UID or file path); echoed back in the ordering. */
  readonly id: string;
  readonly imagePositionPatient?: readonly number[];
  readonly imageOrientationPatient?: readonly number[];
  /** [row spacing, column spacing] in mm (Pixel Spacing, else Imager Pixel Spacing). */
  readonly pixelSpacingMm?: readonly number[];
  readonly instanceNumber?: number;
  readonly rows?: number;
  readonly columns?: number;
  readonly frameOfReferenceUid?: string;
  readonly gantryDetectorTiltDeg?: number;
}

/** Problems found in a series' geometry; reported, never silently corrected. */
export type GeometryIssue =
  | 'missing-position'
  | 'missing-orientation'
  | 'mixed-orientation'
  | 'missing-pixel-spacing'
  | 'mixed-pixel-spacing'
  | 'mixed-size'
  | 'mixed-frame-of-reference'
  | 'duplicate-position'
  | 'uneven-spacing'
  | 'gantry-tilt';

/** Geometry of a sorted series. */
export interface SeriesGeometry {
  /** Slice ids in spatial order (increasing along the normal), or by Instance Number when positions are missing. */
  readonly order: readonly string[];
  readonly sortedBy: 'position' | 'instance-number' | 'input';
  readonly rowDirection?: Vec3;
  readonly columnDirection?: Vec3;
  /** Slice normal = row x column (LPS). */
  readonly normal?: Vec3;
  /** Positions (IPP) of the sorted slices. */
  readonly positionsMm: readonly (Vec3 | undefined)[];
  /** Distance along the normal between consecutive sorted slices. */
  readonly gapsMm: readonly number[];
  /** Median gap along the normal. */
  readonly sliceSpacingMm?: number;
  /** True when every gap is within `spacingToleranceMm` of the median. */
  readonly uniformSpacing: boolean;
  /** [row spacing, column spacing] mm. */
  readonly pixelSpacingMm?: readonly [number, number];
  /** Angle between the slice stacking direction and the normal (0 for an orthogonal stack). */
  readonly tiltDeg: number;
  readonly issues: readonly GeometryIssue[];
}

/** Tolerances for {@link seriesGeometry}. */
export interface GeometryOptions {
  /** Gaps within this of the median count as uniform. Default 0.01 mm plus 1% of the median. */
  readonly spacingToleranceMm?: number;
  /** Stacking tilt beyond this is reported as gantry tilt. Default 0.5 degrees. */
  readonly tiltToleranceDeg?: number;
}

/** Geometry fields of a single-frame image, read from its data set (Pixel Spacing, else Imager Pixel Spacing). */
export function sliceGeometryInput(ds: DicomDataset, id: string): SliceGeometryInput {
  const ipp = ds.numbers('ImagePositionPatient');
  const iop = ds.numbers('ImageOrientationPatient');
  const ps = ds.numbers('PixelSpacing');
  const ips = ds.numbers('ImagerPixelSpacing');
  const spacing = ps.length === 2 ? ps : ips.length === 2 ? ips : undefined;
  const inst = ds.number('InstanceNumber');
  const rows = ds.number('Rows');
  const columns = ds.number('Columns');
  const fr = ds.string('FrameOfReferenceUID');
  const tilt = ds.number('GantryDetectorTilt');
  return {
    id,
    ...(ipp.length === 3 ? { imagePositionPatient: ipp } : {}),
    ...(iop.length === 6 ? { imageOrientationPatient: iop } : {}),
    ...(spacing ? { pixelSpacingMm: spacing } : {}),
    ...(inst !== undefined ? { instanceNumber: inst } : {}),
    ...(rows !== undefined ? { rows } : {}),
    ...(columns !== undefined ? { columns } : {}),
    ...(fr ? { frameOfReferenceUid: fr } : {}),
    ...(tilt !== undefined ? { gantryDetectorTiltDeg: tilt } : {}),
  };
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const norm = (a: Vec3) => Math.hypot(a[0], a[1], a[2]);
const unit = (a: Vec3): Vec3 => {
  const n = norm(a);
  return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : a;
};
const vec = (a: readonly number[] | undefined, at = 0): Vec3 | undefined =>
  a && a.length >= at + 3 ? [a[at]!, a[at + 1]!, a[at + 2]!] : undefined;

/**
 * Sort a series by Image Position Patient along the slice normal (fallback: Instance Number, then input order)
 * and measure it: spacing and its uniformity, pixel spacing, stacking tilt. Problems are listed in `issues`.
 */
export function seriesGeometry(slices: readonly SliceGeometryInput[], options: GeometryOptions = {}): SeriesGeometry {
  const issues = new Set<GeometryIssue>();
  const tiltTol = options.tiltToleranceDeg ?? 0.5;
  const first = slices[0];
  const row = unit(vec(first?.imageOrientationPatient) ?? [1, 0, 0]);
  const col = unit(vec(first?.imageOrientationPatient, 3) ?? [0, 1, 0]);
  const haveOrientation = slices.length > 0 && slices.every((s) => s.imageOrientationPatient?.length === 6);
  if (!haveOrientation) issues.add('missing-orientation');
  for (const s of slices) {
    const r = vec(s.imageOrientationPatient);
    const c = vec(s.imageOrientationPatient, 3);
    if (r && c && (Math.abs(dot(unit(r), row)) < 0.9999 || Math.abs(dot(unit(c), col)) < 0.9999))
      issues.add('mixed-orientation');
  }
  const normal = unit(cross(row, col));
  const havePositions = slices.length > 0 && slices.every((s) => s.imagePositionPatient?.length === 3);
  if (!havePositions) issues.add('missing-position');
  const spacings = slices.map((s) => s.pixelSpacingMm).filter((p): p is readonly number[] => p?.length === 2);
  if (spacings.length < slices.length) issues.add('missing-pixel-spacing');
  if (spacings.some((p) => Math.abs(p[0]! - spacings[0]![0]!) > 1e-4 || Math.abs(p[1]! - spacings[0]![1]!) > 1e-4))
    issues.add('mixed-pixel-spacing');
  if (slices.some((s) => s.rows !== first?.rows || s.columns !== first?.columns)) issues.add('mixed-size');
  if (slices.some((s) => s.frameOfReferenceUid !== first?.frameOfReferenceUid)) issues.add('mixed-frame-of-reference');

  let sorted = [...slices];
  let sortedBy: SeriesGeometry['sortedBy'] = 'input';
  if (havePositions) {
    const d = (s: SliceGeometryInput) => dot(vec(s.imagePositionPatient)!, normal);
    sorted.sort((a, b) => d(a) - d(b));
    sortedBy = 'position';
  } else if (slices.every((s) => s.instanceNumber !== undefined)) {
    sorted = sorted.sort((a, b) => a.instanceNumber! - b.instanceNumber!);
    sortedBy = 'instance-number';
  }
  const positions = sorted.map((s) => vec(s.imagePositionPatient));
  const gaps: number[] = [];
  let tiltDeg = 0;
  if (havePositions && sorted.length > 1) {
    for (let i = 1; i < positions.length; i++) gaps.push(dot(sub(positions[i]!, positions[i - 1]!), normal));
    if (gaps.some((g) => Math.abs(g) < 1e-3)) issues.add('duplicate-position');
    const span = sub(positions[positions.length - 1]!, positions[0]!);
    if (norm(span) > 0) {
      const cos = Math.min(1, Math.abs(dot(unit(span), normal)));
      tiltDeg = (Math.acos(cos) * 180) / Math.PI;
    }
  }
  const declaredTilt = first?.gantryDetectorTiltDeg ?? 0;
  if (tiltDeg > tiltTol || Math.abs(declaredTilt) > tiltTol) issues.add('gantry-tilt');
  const median = gaps.length ? [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)]! : undefined;
  const tol = options.spacingToleranceMm ?? (median !== undefined ? 0.01 + 0.01 * Math.abs(median) : 0.01);
  const uniform = median !== undefined && gaps.every((g) => Math.abs(g - median) <= tol);
  if (median !== undefined && !uniform) issues.add('uneven-spacing');
  const ps = spacings[0];
  return {
    order: sorted.map((s) => s.id),
    sortedBy,
    ...(haveOrientation ? { rowDirection: row, columnDirection: col, normal } : {}),
    positionsMm: positions,
    gapsMm: gaps,
    ...(median !== undefined ? { sliceSpacingMm: median } : {}),
    uniformSpacing: uniform,
    ...(ps ? { pixelSpacingMm: [ps[0]!, ps[1]!] as const } : {}),
    tiltDeg,
    issues: [...issues],
  };
}

/**
 * Patient LPS position (mm) of pixel (column, row) of an image, per PS3.3 C.7.6.2.1.1. Sub-pixel
 * coordinates are allowed; (0,0) is the centre of the first pixel.
 * @returns undefined when the image lacks position, orientation or pixel spacing.
 */
export function pixelToPatient(slice: SliceGeometryInput, column: number, row: number): Vec3 | undefined {
  const p = vec(slice.imagePositionPatient);
  const r = vec(slice.imageOrientationPatient);
  const c = vec(slice.imageOrientationPatient, 3);
  const ps = slice.pixelSpacingMm;
  if (!p || !r || !c || ps?.length !== 2) return undefined;
  const [rowSpacing, colSpacing] = [ps[0]!, ps[1]!];
  return [
    p[0] + r[0] * colSpacing * column + c[0] * rowSpacing * row,
    p[1] + r[1] * colSpacing * column + c[1] * rowSpacing * row,
    p[2] + r[2] * colSpacing * column + c[2] * rowSpacing * row,
  ];
}

/**
 * Pixel (column, row) and signed distance from the image plane (mm) of a patient LPS point.
 * @returns undefined when the image lacks position, orientation or pixel spacing.
 */
export function patientToPixel(
  slice: SliceGeometryInput,
  point: Vec3,
): { column: number; row: number; distanceMm: number } | undefined {
  const p = vec(slice.imagePositionPatient);
  const r = vec(slice.imageOrientationPatient);
  const c = vec(slice.imageOrientationPatient, 3);
  const ps = slice.pixelSpacingMm;
  if (!p || !r || !c || ps?.length !== 2) return undefined;
  const d = sub(point, p);
  const ru = unit(r);
  const cu = unit(c);
  return { column: dot(d, ru) / ps[1]!, row: dot(d, cu) / ps[0]!, distanceMm: dot(d, unit(cross(ru, cu))) };
}
