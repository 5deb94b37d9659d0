import { imageLoader, metaData, utilities, type Types } from '@cornerstonejs/core';
import type { OslerApi } from '../../../native/contract/api.js';
import type { ChannelOutput } from '../../../native/contract/channels.js';

type Frame = ChannelOutput<'frames.get'>;
type FrameInfo = Omit<Frame, 'pixels'> & {
  /** Bits per sample and signedness of the array handed to cornerstone (after the rescale). */
  delivered?: { readonly bits: number; readonly signed: boolean };
};
type SeriesDetail = ChannelOutput<'series.get'>;
type Vec3 = [number, number, number];

/** Image ids of Osler frames: `osler:<instanceId>:<frame>`. */
export function frameImageId(instanceId: number, frame: number): string {
  return `osler:${instanceId}:${frame}`;
}

function parseImageId(imageId: string): { instanceId: number; frame: number } {
  const [, instance, frame] = imageId.split(':');
  return { instanceId: Number(instance), frame: Number(frame) };
}

const DATA_TYPES = new Map<unknown, Types.PixelDataTypedArrayString>([
  [Uint8Array, 'Uint8Array'],
  [Int8Array, 'Int8Array'],
  [Uint16Array, 'Uint16Array'],
  [Int16Array, 'Int16Array'],
  [Float32Array, 'Float32Array'],
]);

/**
 * Modality values (stored * slope + intercept) in the narrowest array that holds them exactly:
 * Int16 for the usual CT case (integer rescale within range), else Float32.
 */
export function toModality(stored: ArrayLike<number>, slope: number, intercept: number): Types.PixelDataTypedArray {
  const integer = Number.isInteger(slope) && Number.isInteger(intercept);
  if (slope === 1 && intercept === 0 && (stored instanceof Int16Array || stored instanceof Uint8Array)) return stored;
  const out = new Float32Array(stored.length);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < stored.length; i++) {
    const v = stored[i]! * slope + intercept;
    out[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return integer && min >= -32768 && max <= 32767 ? Int16Array.from(out) : out;
}

/**
 * Frames come from the core through the contract (one decoder for the whole app); this module
 * turns them into cornerstone images and answers cornerstone's metadata questions from the
 * series geometry and the frames already loaded.
 */
export class FrameSource {
  readonly #api: OslerApi;
  /** What each loaded frame is (spacing, presets, photometric); pixels live only in cornerstone's bounded cache. */
  readonly #info = new Map<string, FrameInfo>();
  /** Frames fetched ahead of cornerstone's own load, handed over (and dropped here) when it asks. */
  readonly #ahead = new Map<string, Frame>();
  readonly #planes = new Map<string, { positionMm: Vec3 | null }>();
  #series: SeriesDetail | null = null;

  constructor(api: OslerApi) {
    this.#api = api;
    imageLoader.registerImageLoader('osler', (imageId: string) => ({ promise: this.#load(imageId) }) as never);
    metaData.addProvider((type: string, imageId: string) => this.#metadata(type, imageId), 10_000);
  }

  /** Makes a series' geometry known before its frames load. Returns its image ids in display order. */
  useSeries(detail: SeriesDetail): string[] {
    this.#series = detail;
    return detail.frames.map((f) => {
      const id = frameImageId(f.instanceId, f.frame);
      this.#planes.set(id, { positionMm: f.positionMm });
      return id;
    });
  }

  /** The frame behind an image id once loaded (pixel spacing, presets, photometric). */
  frame(imageId: string): FrameInfo | undefined {
    return this.#info.get(imageId);
  }

  /** Fetches a frame ahead of cornerstone's load, to read what it is before showing it. */
  async fetch(imageId: string): Promise<FrameInfo> {
    const known = this.#info.get(imageId);
    if (known) return known;
    const f = await this.#get(imageId);
    this.#ahead.set(imageId, f);
    return f;
  }

  async #get(imageId: string): Promise<Frame> {
    const { instanceId, frame } = parseImageId(imageId);
    const result = await this.#api.invoke('frames.get', { instanceId, frame });
    if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
    const { pixels: _pixels, ...info } = result.value;
    this.#info.set(imageId, info);
    return result.value;
  }

  async #load(imageId: string): Promise<Types.IImage> {
    const f = this.#ahead.get(imageId) ?? (await this.#get(imageId));
    this.#ahead.delete(imageId);
    const color = f.format === 'rgb';
    const preset = f.windows[0] ?? {
      center: (f.minValue + f.maxValue) / 2,
      width: Math.max(1, f.maxValue - f.minValue),
    };
    // cornerstone windows modality values: apply the rescale here, once per frame, so the GPU,
    // the HU probe and ROI statistics all see Hounsfield units (stored values stay on the wire).
    const pixels = color
      ? (f.pixels as Types.PixelDataTypedArray)
      : toModality(f.pixels, f.rescale.slope, f.rescale.intercept);
    const info = this.#info.get(imageId);
    if (info)
      info.delivered = {
        bits: pixels.BYTES_PER_ELEMENT * 8,
        signed: !(pixels instanceof Uint8Array || pixels instanceof Uint16Array || pixels instanceof Uint32Array),
      };
    const voxelManager = utilities.VoxelManager.createImageVoxelManager({
      width: f.columns,
      height: f.rows,
      scalarData: pixels,
      numberOfComponents: color ? 3 : 1,
    });
    return {
      imageId,
      minPixelValue: f.minValue,
      maxPixelValue: f.maxValue,
      slope: 1,
      intercept: 0,
      isPreScaled: !color,
      preScale: {
        enabled: !color,
        scaled: !color,
        scalingParameters: {
          rescaleSlope: f.rescale.slope,
          rescaleIntercept: f.rescale.intercept,
          modality: this.#series?.series.modality ?? undefined,
        },
      },
      windowCenter: preset.center,
      windowWidth: preset.width,
      // cornerstone's VOILUTFunctionType values are the DICOM terms themselves (LINEAR, LINEAR_EXACT, SIGMOID).
      voiLUTFunction: f.voiFunction as Types.IImage['voiLUTFunction'],
      getPixelData: () => pixels,
      getCanvas: () => {
        throw new Error('canvas rendering is not used');
      },
      rows: f.rows,
      columns: f.columns,
      height: f.rows,
      width: f.columns,
      color,
      rgba: false,
      numberOfComponents: color ? 3 : 1,
      columnPixelSpacing: f.pixelSpacingMm?.[1] ?? 1,
      rowPixelSpacing: f.pixelSpacingMm?.[0] ?? 1,
      invert: f.photometric === 'MONOCHROME1',
      photometricInterpretation: f.photometric,
      sizeInBytes: pixels.byteLength,
      dataType: DATA_TYPES.get(pixels.constructor) ?? 'Float32Array',
      voxelManager,
    } as Types.IImage;
  }

  #metadata(type: string, imageId: string): unknown {
    if (!imageId.startsWith('osler:')) return undefined;
    const f = this.#info.get(imageId);
    const plane = this.#planes.get(imageId);
    const g = this.#series?.geometry;
    switch (type) {
      case 'imagePlaneModule': {
        const spacing = f?.pixelSpacingMm ?? g?.pixelSpacingMm ?? null;
        return {
          frameOfReferenceUID: this.#series?.series.seriesUid ?? 'osler',
          rows: f?.rows ?? this.#series?.series.rows,
          columns: f?.columns ?? this.#series?.series.columns,
          imageOrientationPatient:
            g?.rowDirection && g.columnDirection ? [...g.rowDirection, ...g.columnDirection] : [1, 0, 0, 0, 1, 0],
          rowCosines: g?.rowDirection ?? [1, 0, 0],
          columnCosines: g?.columnDirection ?? [0, 1, 0],
          imagePositionPatient: plane?.positionMm ?? [0, 0, 0],
          pixelSpacing: spacing,
          rowPixelSpacing: spacing?.[0] ?? null,
          columnPixelSpacing: spacing?.[1] ?? null,
          sliceThickness: g?.sliceSpacingMm ?? undefined,
          usingDefaultValues: spacing === null,
        };
      }
      case 'imagePixelModule':
        if (!f?.delivered) return undefined;
        return {
          samplesPerPixel: f.format === 'rgb' ? 3 : 1,
          photometricInterpretation: f.photometric,
          rows: f.rows,
          columns: f.columns,
          bitsAllocated: f.delivered.bits,
          bitsStored: f.delivered.bits,
          highBit: f.delivered.bits - 1,
          pixelRepresentation: f.delivered.signed ? 1 : 0,
        };
      case 'generalSeriesModule':
        return { modality: this.#series?.series.modality ?? 'OT', seriesInstanceUID: this.#series?.series.seriesUid };
      case 'modalityLutModule':
        return f
          ? { rescaleSlope: f.rescale.slope, rescaleIntercept: f.rescale.intercept, rescaleType: f.rescale.type }
          : undefined;
      case 'voiLutModule':
        return f
          ? { windowCenter: f.windows.map((w) => w.center), windowWidth: f.windows.map((w) => w.width) }
          : undefined;
      default:
        return undefined;
    }
  }
}
