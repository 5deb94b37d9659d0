import type { DicomDataset } from './dataset.js';
import { DicomParseError } from './errors.js';

/** One contour of an ROI: points in patient LPS mm (x, y, z triplets). */
export interface Contour {
  readonly geometricType: string;
  readonly pointsMm: Float64Array;
  readonly referencedSopInstanceUid?: string;
}

/** One structure (ROI) of an RTSTRUCT. */
export interface RoiContours {
  readonly number: number;
  readonly name: string;
  readonly color?: readonly [number, number, number];
  readonly referencedFrameOfReferenceUid?: string;
  readonly contours: readonly Contour[];
}

/**
 * Read the ROIs of an RT Structure Set with their contours as polygons in patient coordinates.
 * @throws DicomParseError `bad-attribute` when the data set is not an RTSTRUCT or a contour's points are malformed.
 */
export function readRtStruct(ds: DicomDataset): RoiContours[] {
  if (ds.string('Modality') !== 'RTSTRUCT' && !ds.has('StructureSetROISequence')) {
    throw new DicomParseError('bad-attribute', 'not an RT Structure Set');
  }
  const names = new Map<number, { name: string; frameOfReference?: string }>();
  for (const item of ds.sequence('StructureSetROISequence')) {
    const n = item.number('ROINumber');
    if (n === undefined) continue;
    const fr = item.string('ReferencedFrameOfReferenceUID');
    names.set(n, { name: item.string('ROIName') ?? '', ...(fr ? { frameOfReference: fr } : {}) });
  }
  return ds.sequence('ROIContourSequence').map((roi) => {
    const number = roi.number('ReferencedROINumber') ?? 0;
    const color = roi.numbers('ROIDisplayColor');
    const contours = roi.sequence('ContourSequence').map((c): Contour => {
      const data = c.numbers('ContourData');
      if (data.length % 3 !== 0)
        throw new DicomParseError(
          'bad-attribute',
          `ROI ${number} has a contour with ${data.length} coordinates (not triplets)`,
        );
      const declared = c.number('NumberOfContourPoints');
      if (declared !== undefined && declared * 3 !== data.length)
        throw new DicomParseError(
          'bad-attribute',
          `ROI ${number} contour declares ${declared} points but holds ${data.length / 3}`,
        );
      const ref = c.sequence('ContourImageSequence')[0]?.string('ReferencedSOPInstanceUID');
      return {
        geometricType: c.string('ContourGeometricType') ?? 'CLOSED_PLANAR',
        pointsMm: Float64Array.from(data),
        ...(ref ? { referencedSopInstanceUid: ref } : {}),
      };
    });
    const meta = names.get(number);
    return {
      number,
      name: meta?.name ?? '',
      ...(color.length === 3 ? { color: [color[0]!, color[1]!, color[2]!] as const } : {}),
      ...(meta?.frameOfReference ? { referencedFrameOfReferenceUid: meta.frameOfReference } : {}),
      contours,
    };
  });
}
