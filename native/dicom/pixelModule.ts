import type { DicomDataset } from './dataset.js';
import { DicomParseError } from './errors.js';

/** The Image Pixel module of an instance, validated. */
export interface PixelModule {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: 1 | 3;
  readonly bitsAllocated: 1 | 8 | 16 | 32 | 64;
  readonly bitsStored: number;
  readonly highBit: number;
  /** 0 unsigned, 1 two's complement. */
  readonly pixelRepresentation: 0 | 1;
  readonly photometricInterpretation: string;
  /** 0 interleaved (RGBRGB), 1 planar (RR..GG..BB..). */
  readonly planarConfiguration: 0 | 1;
  readonly numberOfFrames: number;
  /** Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) instead of integer Pixel Data. */
  readonly floatPixels: boolean;
}

/** Frames beyond this are refused as implausible (a corrupt Number of Frames must not drive allocation). */
export const MAX_FRAMES = 100_000;

/**
 * Read and validate the Image Pixel module.
 * @throws DicomParseError `no-pixel-data`, `missing-attribute` or `bad-attribute`.
 */
export function readPixelModule(ds: DicomDataset): PixelModule {
  const floatPixels = !ds.has('PixelData') && (ds.has('FloatPixelData') || ds.has('DoubleFloatPixelData'));
  if (!ds.has('PixelData') && !floatPixels)
    throw new DicomParseError('no-pixel-data', 'the data set has no Pixel Data');
  const rows = required(ds, 'Rows');
  const columns = required(ds, 'Columns');
  const samples = ds.number('SamplesPerPixel') ?? 1;
  const bitsAllocated = floatPixels ? (ds.has('DoubleFloatPixelData') ? 64 : 32) : required(ds, 'BitsAllocated');
  const bitsStored = floatPixels ? bitsAllocated : (ds.number('BitsStored') ?? bitsAllocated);
  const highBit = floatPixels ? bitsAllocated - 1 : (ds.number('HighBit') ?? bitsStored - 1);
  const pixelRepresentation = ds.number('PixelRepresentation') ?? 0;
  const photometric = (ds.string('PhotometricInterpretation') ?? (samples === 3 ? 'RGB' : 'MONOCHROME2')).toUpperCase();
  const planar = samples > 1 ? (ds.number('PlanarConfiguration') ?? 0) : 0;
  const framesText = ds.string('NumberOfFrames');
  const frames = framesText === undefined ? 1 : Number(framesText);

  const bad = (what: string) => new DicomParseError('bad-attribute', what);
  if (!Number.isInteger(rows) || rows < 1 || rows > 65535) throw bad(`Rows ${rows} is invalid`);
  if (!Number.isInteger(columns) || columns < 1 || columns > 65535) throw bad(`Columns ${columns} is invalid`);
  if (samples !== 1 && samples !== 3) throw bad(`Samples per Pixel ${samples} is not supported (1 or 3)`);
  if (![1, 8, 16, 32, 64].includes(bitsAllocated)) throw bad(`Bits Allocated ${bitsAllocated} is not supported`);
  if (bitsAllocated === 64 && !floatPixels) throw bad('Bits Allocated 64 is only valid for Double Float Pixel Data');
  if (!Number.isInteger(bitsStored) || bitsStored < 1 || bitsStored > bitsAllocated)
    throw bad(`Bits Stored ${bitsStored} is invalid for Bits Allocated ${bitsAllocated}`);
  if (!Number.isInteger(highBit) || highBit < bitsStored - 1 || highBit >= bitsAllocated)
    throw bad(`High Bit ${highBit} is invalid`);
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1)
    throw bad(`Pixel Representation ${pixelRepresentation} is invalid`);
  if (planar !== 0 && planar !== 1) throw bad(`Planar Configuration ${planar} is invalid`);
  if (!Number.isInteger(frames) || frames < 1 || frames > MAX_FRAMES)
    throw bad(`Number of Frames "${framesText}" is invalid`);
  if (samples === 3 && bitsAllocated === 1) throw bad('1-bit colour pixel data is invalid');
  return {
    rows,
    columns,
    samplesPerPixel: samples,
    bitsAllocated: bitsAllocated as PixelModule['bitsAllocated'],
    bitsStored,
    highBit,
    pixelRepresentation,
    photometricInterpretation: photometric,
    planarConfiguration: planar,
    numberOfFrames: frames,
    floatPixels,
  };
}

function required(ds: DicomDataset, key: 'Rows' | 'Columns' | 'BitsAllocated'): number {
  const v = ds.number(key);
  if (v === undefined) throw new DicomParseError('missing-attribute', `${key} is missing`);
  return v;
}

/** Samples in one frame. */
export function samplesPerFrame(pm: PixelModule): number {
  return pm.rows * pm.columns * pm.samplesPerPixel;
}
