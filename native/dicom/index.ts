/**
 * Osler's DICOM engine: parse, decode every common transfer syntax, pixel pipeline, geometry, SEG/RTSTRUCT.
 * Plain Node; all failures are {@link DicomParseError} with a reason code.
 */
export { DicomParseError, isDicomParseError, type DicomErrorReason } from './errors.js';
export { parseDicom, sniffTransferSyntax, type ParseOptions } from './parse.js';
export { DicomDataset } from './dataset.js';
export { TAGS, type TagKeyword, type TagRef } from './tags.js';
export {
  transferSyntax,
  transferSyntaxes,
  transferSyntaxName,
  type TransferSyntax,
  type Codec,
} from './transferSyntax.js';
export { decodeText } from './charset.js';
export { extractMetadata, type DicomMetadata } from './metadata.js';
export { readPixelModule, type PixelModule } from './pixelModule.js';
export { decodeFrame, type StoredFrame, type StoredArray } from './decode.js';
export {
  modalityValues,
  displayFrame,
  applyWindow,
  rescaleOf,
  windowPresets,
  voiFunctionOf,
  voiLuts,
  applyVoiLut,
  paletteOf,
  paletteColorValues,
  type VoiLut,
  type Palette,
  type Window,
  type VoiFunction,
  type Rescale,
  type DisplayOptions,
  type DisplayImage,
} from './lut.js';
export {
  seriesGeometry,
  sliceGeometryInput,
  pixelToPatient,
  patientToPixel,
  type SeriesGeometry,
  type SliceGeometryInput,
  type GeometryIssue,
  type GeometryOptions,
  type Vec3,
} from './geometry.js';
export {
  readSegmentation,
  type Segmentation,
  type SegmentInfo,
  type SegFrameMapping,
  type SourceSlice,
} from './seg.js';
export { readRtStruct, type RoiContours, type Contour } from './rtstruct.js';
export { dicomInfo, decodeFrameRaw, type DicomInfo, type DecodeStage, type RawFrame } from './report.js';
export { jpeg2000DecoderName } from './codecs/openjp2.js';
