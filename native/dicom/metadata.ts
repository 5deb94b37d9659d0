import type { DicomDataset } from './dataset.js';
import { windowPresets, rescaleOf, type Window } from './lut.js';
import { transferSyntax, transferSyntaxName } from './transferSyntax.js';

/** Everything the store indexes about one instance. Absent attributes are undefined, never guessed. */
export interface DicomMetadata {
  readonly patientId?: string;
  readonly patientName?: string;
  readonly patientBirthDate?: string;
  readonly patientSex?: string;
  readonly studyInstanceUid?: string;
  readonly studyDate?: string;
  readonly studyTime?: string;
  readonly studyDescription?: string;
  readonly accessionNumber?: string;
  readonly seriesInstanceUid?: string;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  readonly modality?: string;
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  readonly instanceNumber?: number;
  readonly transferSyntaxUid: string;
  readonly transferSyntaxName: string;
  readonly lossyCompressed: boolean;
  readonly rows?: number;
  readonly columns?: number;
  readonly numberOfFrames: number;
  readonly samplesPerPixel?: number;
  readonly photometricInterpretation?: string;
  readonly bitsAllocated?: number;
  readonly bitsStored?: number;
  readonly pixelRepresentation?: number;
  readonly rescaleSlope: number;
  readonly rescaleIntercept: number;
  readonly windows: readonly Window[];
  readonly imagePositionPatient?: readonly number[];
  readonly imageOrientationPatient?: readonly number[];
  /** [row spacing, column spacing] mm from Pixel Spacing, else Imager Pixel Spacing. */
  readonly pixelSpacingMm?: readonly number[];
  readonly pixelSpacingSource?: 'PixelSpacing' | 'ImagerPixelSpacing';
  readonly sliceThicknessMm?: number;
  readonly sliceLocationMm?: number;
  readonly frameOfReferenceUid?: string;
  readonly gantryDetectorTiltDeg?: number;
  readonly manufacturer?: string;
  readonly bodyPartExamined?: string;
  readonly hasPixelData: boolean;
}

/** Extract the indexing metadata of a parsed instance (strings decoded with its Specific Character Set). */
export function extractMetadata(ds: DicomDataset): DicomMetadata {
  const s = (k: Parameters<DicomDataset['string']>[0]) => ds.string(k);
  const n = (k: Parameters<DicomDataset['number']>[0]) => ds.number(k);
  const ps = ds.numbers('PixelSpacing');
  const ips = ds.numbers('ImagerPixelSpacing');
  const ipp = ds.numbers('ImagePositionPatient');
  const iop = ds.numbers('ImageOrientationPatient');
  const ts = transferSyntax(ds.transferSyntaxUid);
  const rescale = rescaleOf(ds);
  const frames = Number(s('NumberOfFrames') ?? '1');
  const out: Record<string, unknown> = {
    patientId: s('PatientID'),
    patientName: s('PatientName'),
    patientBirthDate: s('PatientBirthDate'),
    patientSex: s('PatientSex'),
    studyInstanceUid: s('StudyInstanceUID'),
    studyDate: s('StudyDate'),
    studyTime: s('StudyTime'),
    studyDescription: s('StudyDescription'),
    accessionNumber: s('AccessionNumber'),
    seriesInstanceUid: s('SeriesInstanceUID'),
    seriesNumber: n('SeriesNumber'),
    seriesDescription: s('SeriesDescription'),
    modality: s('Modality'),
    sopClassUid: s('SOPClassUID') ?? s('MediaStorageSOPClassUID'),
    sopInstanceUid: s('SOPInstanceUID') ?? s('MediaStorageSOPInstanceUID'),
    instanceNumber: n('InstanceNumber'),
    transferSyntaxUid: ds.transferSyntaxUid,
    transferSyntaxName: transferSyntaxName(ds.transferSyntaxUid),
    lossyCompressed: (ts?.lossy ?? false) || s('LossyImageCompression') === '01',
    rows: n('Rows'),
    columns: n('Columns'),
    numberOfFrames: Number.isInteger(frames) && frames > 0 ? frames : 1,
    samplesPerPixel: n('SamplesPerPixel'),
    photometricInterpretation: s('PhotometricInterpretation'),
    bitsAllocated: n('BitsAllocated'),
    bitsStored: n('BitsStored'),
    pixelRepresentation: n('PixelRepresentation'),
    rescaleSlope: rescale.slope,
    rescaleIntercept: rescale.intercept,
    windows: windowPresets(ds),
    imagePositionPatient: ipp.length === 3 ? ipp : undefined,
    imageOrientationPatient: iop.length === 6 ? iop : undefined,
    pixelSpacingMm: ps.length === 2 ? ps : ips.length === 2 ? ips : undefined,
    pixelSpacingSource: ps.length === 2 ? 'PixelSpacing' : ips.length === 2 ? 'ImagerPixelSpacing' : undefined,
    sliceThicknessMm: n('SliceThickness'),
    sliceLocationMm: n('SliceLocation'),
    frameOfReferenceUid: s('FrameOfReferenceUID'),
    gantryDetectorTiltDeg: n('GantryDetectorTilt'),
    manufacturer: s('Manufacturer'),
    bodyPartExamined: s('BodyPartExamined'),
    hasPixelData: ds.has('PixelData') || ds.has('FloatPixelData') || ds.has('DoubleFloatPixelData'),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as DicomMetadata;
}
