import { createHash } from 'node:crypto';
import type { DicomDataset } from './dataset.js';
import { decodeFrame, type StoredArray } from './decode.js';
import { sliceGeometryInput } from './geometry.js';
import { displayFrame, modalityValues, voiFunctionOf, windowPresets, type DisplayOptions } from './lut.js';
import { extractMetadata } from './metadata.js';

/** The summary printed by `osler dicom info FILE --json`. */
export interface DicomInfo {
  readonly transferSyntaxUid: string;
  readonly transferSyntaxName: string;
  readonly modality?: string;
  readonly rows?: number;
  readonly columns?: number;
  readonly frames: number;
  readonly photometricInterpretation?: string;
  readonly samplesPerPixel?: number;
  readonly bitsAllocated?: number;
  readonly bitsStored?: number;
  readonly pixelRepresentation?: number;
  readonly rescale: { readonly slope: number; readonly intercept: number };
  readonly windowPresets: readonly { center: number; width: number; explanation?: string }[];
  readonly voiLutFunction: string;
  readonly geometry: {
    readonly imagePositionPatient?: readonly number[];
    readonly imageOrientationPatient?: readonly number[];
    readonly pixelSpacingMm?: readonly number[];
    readonly sliceThicknessMm?: number;
    readonly gantryDetectorTiltDeg?: number;
  };
}

/** Build the `dicom info` summary of a parsed instance. */
export function dicomInfo(ds: DicomDataset): DicomInfo {
  const m = extractMetadata(ds);
  const g = sliceGeometryInput(ds, m.sopInstanceUid ?? '');
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    transferSyntaxUid: m.transferSyntaxUid,
    transferSyntaxName: m.transferSyntaxName,
    ...opt('modality', m.modality),
    ...opt('rows', m.rows),
    ...opt('columns', m.columns),
    frames: m.numberOfFrames,
    ...opt('photometricInterpretation', m.photometricInterpretation),
    ...opt('samplesPerPixel', m.samplesPerPixel),
    ...opt('bitsAllocated', m.bitsAllocated),
    ...opt('bitsStored', m.bitsStored),
    ...opt('pixelRepresentation', m.pixelRepresentation),
    rescale: { slope: m.rescaleSlope, intercept: m.rescaleIntercept },
    windowPresets: windowPresets(ds),
    voiLutFunction: voiFunctionOf(ds),
    geometry: {
      ...opt('imagePositionPatient', g.imagePositionPatient),
      ...opt('imageOrientationPatient', g.imageOrientationPatient),
      ...opt('pixelSpacingMm', g.pixelSpacingMm),
      ...opt('sliceThicknessMm', m.sliceThicknessMm),
      ...opt('gantryDetectorTiltDeg', m.gantryDetectorTiltDeg),
    },
  };
}

/** Which pipeline output `dicom decode` writes. */
export type DecodeStage = 'stored' | 'modality' | 'display';

/** A frame as raw little-endian bytes plus the summary `osler dicom decode --json` prints. */
export interface RawFrame {
  readonly bytes: Uint8Array;
  readonly summary: {
    readonly rows: number;
    readonly cols: number;
    readonly samplesPerPixel: number;
    readonly dtype: string;
    readonly min: number;
    readonly max: number;
    /** MD5 (hex) of `bytes`. */
    readonly md5: string;
  };
}

const DTYPES: Record<string, string> = {
  Uint8Array: 'uint8',
  Int8Array: 'int8',
  Uint16Array: 'uint16',
  Int16Array: 'int16',
  Uint32Array: 'uint32',
  Int32Array: 'int32',
  Float32Array: 'float32',
  Float64Array: 'float64',
};

/**
 * Decode one frame at a pipeline stage into little-endian raw bytes (stored: the DICOM's integer type, colour
 * RGB-interleaved; modality: float32; display: uint8 grayscale or RGBA) with min/max and MD5.
 */
export async function decodeFrameRaw(
  ds: DicomDataset,
  frameIndex: number,
  stage: DecodeStage,
  display: DisplayOptions = {},
): Promise<RawFrame> {
  const frame = await decodeFrame(ds, frameIndex);
  let values: StoredArray;
  let spp: number = frame.samplesPerPixel;
  if (stage === 'stored') values = frame.values;
  else if (stage === 'modality') values = modalityValues(ds, frame, frameIndex);
  else {
    const img = displayFrame(ds, frame, frameIndex, display);
    values = img.data;
    spp = img.channels;
  }
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // Node (and every platform it ships on) is little endian, so the typed array's bytes are already LE.
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return {
    bytes,
    summary: {
      rows: frame.rows,
      cols: frame.columns,
      samplesPerPixel: spp,
      dtype: DTYPES[values.constructor.name] ?? 'unknown',
      min,
      max,
      md5: createHash('md5').update(bytes).digest('hex'),
    },
  };
}
