import type { DicomDataset } from './dataset.js';
import type { StoredFrame } from './decode.js';
import { DicomParseError } from './errors.js';

/** A VOI window in modality units (e.g. Hounsfield for CT). */
export interface Window {
  readonly center: number;
  readonly width: number;
  readonly explanation?: string;
}

/** VOI LUT Function (0028,1056). */
export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** Rescale of one frame: modality value = stored * slope + intercept. */
export interface Rescale {
  readonly slope: number;
  readonly intercept: number;
  readonly type?: string;
}

function frameGroup(
  ds: DicomDataset,
  frameIndex: number,
  seq:
    | 'PixelValueTransformationSequence'
    | 'FrameVOILUTSequence'
    | 'PixelMeasuresSequence'
    | 'PlanePositionSequence'
    | 'PlaneOrientationSequence',
): DicomDataset | undefined {
  const perFrame = ds.sequence('PerFrameFunctionalGroupsSequence')[frameIndex]?.sequence(seq)[0];
  return perFrame ?? ds.sequence('SharedFunctionalGroupsSequence')[0]?.sequence(seq)[0];
}

/** Rescale slope/intercept for a frame: top level, else the (per-frame or shared) Pixel Value Transformation. */
export function rescaleOf(ds: DicomDataset, frameIndex = 0): Rescale {
  const src =
    ds.has('RescaleSlope') || ds.has('RescaleIntercept')
      ? ds
      : (frameGroup(ds, frameIndex, 'PixelValueTransformationSequence') ?? ds);
  const slope = src.number('RescaleSlope') ?? 1;
  const intercept = src.number('RescaleIntercept') ?? 0;
  const type = src.string('RescaleType');
  return { slope: slope === 0 ? 1 : slope, intercept, ...(type ? { type } : {}) };
}

/** Window presets of a frame (all Window Center/Width pairs, with explanations), top level or functional groups. */
export function windowPresets(ds: DicomDataset, frameIndex = 0): Window[] {
  const src = ds.has('WindowCenter') ? ds : (frameGroup(ds, frameIndex, 'FrameVOILUTSequence') ?? ds);
  const centers = src.numbers('WindowCenter');
  const widths = src.numbers('WindowWidth');
  const names = src.strings('WindowCenterWidthExplanation');
  const out: Window[] = [];
  for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
    if (widths[i]! > 0)
      out.push({ center: centers[i]!, width: widths[i]!, ...(names[i] ? { explanation: names[i] } : {}) });
  }
  return out;
}

/** The VOI LUT Function of a frame (LINEAR when absent or unknown). */
export function voiFunctionOf(ds: DicomDataset, frameIndex = 0): VoiFunction {
  const src = ds.has('VOILUTFunction') ? ds : (frameGroup(ds, frameIndex, 'FrameVOILUTSequence') ?? ds);
  const f = src.string('VOILUTFunction')?.toUpperCase();
  return f === 'LINEAR_EXACT' || f === 'SIGMOID' ? f : 'LINEAR';
}

/**
 * Modality values (e.g. Hounsfield units) of a grayscale frame: the Modality LUT Sequence when present,
 * else Rescale Slope/Intercept. Colour frames are returned as Float32 copies of their samples.
 */
export function modalityValues(ds: DicomDataset, frame: StoredFrame, frameIndex = 0): Float32Array {
  const n = frame.values.length;
  const out = new Float32Array(n);
  const v = frame.values;
  if (frame.samplesPerPixel !== 1) {
    for (let i = 0; i < n; i++) out[i] = v[i]!;
    return out;
  }
  const lut = ds.sequence('ModalityLUTSequence')[0];
  if (lut && !ds.has('RescaleSlope')) {
    const table = readLut(lut);
    if (table) {
      for (let i = 0; i < n; i++) out[i] = table.data[clampIndex(v[i]! - table.first, table.data.length)]!;
      return out;
    }
  }
  const { slope, intercept } = rescaleOf(ds, frameIndex);
  for (let i = 0; i < n; i++) out[i] = v[i]! * slope + intercept;
  return out;
}

interface Lut {
  readonly first: number;
  readonly bits: number;
  readonly data: Uint16Array;
}

/** A LUT item (descriptor + data); descriptor entries 0 mean 65536 (PS3.3 C.11.1.1). */
function readLut(item: DicomDataset): Lut | undefined {
  const desc = item.numbers('LUTDescriptor');
  const bytes = item.bytes('LUTData');
  if (desc.length < 3 || !bytes) return undefined;
  const entries = desc[0] === 0 ? 65536 : desc[0]!;
  const first = desc[1]!;
  const bits = desc[2]!;
  const data = new Uint16Array(entries);
  if (bytes.length >= entries * 2) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < entries; i++) data[i] = view.getUint16(i * 2, !item.bigEndian);
  } else if (bytes.length >= entries) {
    for (let i = 0; i < entries; i++) data[i] = bytes[i]!;
  } else return undefined;
  return { first, bits, data };
}

function clampIndex(i: number, n: number): number {
  return i < 0 ? 0 : i >= n ? n - 1 : i;
}

/** Options for {@link displayFrame}. */
export interface DisplayOptions {
  /** Window to apply (modality units). Default: first preset, else the frame's min..max. */
  readonly window?: Window;
  /** Index into the file's window presets, used when `window` is absent. */
  readonly presetIndex?: number;
  /** Override the file's VOI LUT Function. */
  readonly voiFunction?: VoiFunction;
  /** Always return RGBA (4 bytes per pixel) even for grayscale. */
  readonly rgba?: boolean;
}

/** Display-ready pixels: 1 byte per pixel (grayscale) or RGBA. */
export interface DisplayImage {
  readonly rows: number;
  readonly columns: number;
  readonly channels: 1 | 4;
  readonly data: Uint8Array;
  /** The window actually applied (grayscale only). */
  readonly window?: Window;
}

/**
 * Display values for a frame: grayscale through modality LUT + VOI window (LINEAR, LINEAR_EXACT, SIGMOID),
 * MONOCHROME1 inverted; PALETTE COLOR through its LUTs; YBR_FULL converted to RGB; 16-bit colour scaled to 8.
 */
export function displayFrame(
  ds: DicomDataset,
  frame: StoredFrame,
  frameIndex = 0,
  options: DisplayOptions = {},
): DisplayImage {
  const { rows, columns } = frame;
  const pixels = rows * columns;
  if (frame.photometric === 'PALETTE COLOR') return paletteToRgba(ds, frame);
  if (frame.samplesPerPixel === 3) return colorToRgba(frame);
  const values = modalityValues(ds, frame, frameIndex);
  const window = options.window ?? windowPresets(ds, frameIndex)[options.presetIndex ?? 0] ?? minMaxWindow(values);
  const fn = options.voiFunction ?? voiFunctionOf(ds, frameIndex);
  const invert = frame.photometric === 'MONOCHROME1';
  const gray = new Uint8Array(pixels);
  applyWindow(values, gray, window, fn, invert);
  if (!options.rgba) return { rows, columns, channels: 1, data: gray, window };
  const rgba = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    const g = gray[i]!;
    rgba[i * 4] = g;
    rgba[i * 4 + 1] = g;
    rgba[i * 4 + 2] = g;
    rgba[i * 4 + 3] = 255;
  }
  return { rows, columns, channels: 4, data: rgba, window };
}

function minMaxWindow(values: Float32Array): Window {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!Number.isFinite(min)) return { center: 0, width: 1 };
  return { center: (min + max) / 2, width: Math.max(1, max - min + 1) };
}

/** Apply a VOI window to modality values, writing 0..255 (PS3.3 C.11.2.1.2). */
export function applyWindow(
  values: ArrayLike<number>,
  out: Uint8Array,
  window: Window,
  fn: VoiFunction = 'LINEAR',
  invert = false,
): void {
  const { center: c, width: w } = window;
  if (!(w > 0)) throw new DicomParseError('bad-attribute', `window width ${w} must be positive`);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    let y: number;
    if (fn === 'SIGMOID') y = 255 / (1 + Math.exp((-4 * (x - c)) / w));
    else if (fn === 'LINEAR_EXACT') y = x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255;
    else {
      const w1 = Math.max(w - 1, 1);
      y = x <= c - 0.5 - w1 / 2 ? 0 : x > c - 0.5 + w1 / 2 ? 255 : ((x - (c - 0.5)) / w1 + 0.5) * 255;
    }
    const b = Math.round(y);
    out[i] = invert ? 255 - b : b;
  }
}

function colorToRgba(frame: StoredFrame): DisplayImage {
  const { rows, columns, values } = frame;
  const pixels = rows * columns;
  const shift = Math.max(0, frame.bitsStored - 8);
  const out = new Uint8Array(pixels * 4);
  const ybr = frame.photometric.startsWith('YBR_FULL');
  for (let i = 0; i < pixels; i++) {
    let a = values[i * 3]! >> shift;
    let b = values[i * 3 + 1]! >> shift;
    let c = values[i * 3 + 2]! >> shift;
    if (ybr) {
      const y = a;
      const cb = b - 128;
      const cr = c - 128;
      a = y + 1.402 * cr;
      b = y - 0.344136 * cb - 0.714136 * cr;
      c = y + 1.772 * cb;
    }
    out[i * 4] = clamp8(a);
    out[i * 4 + 1] = clamp8(b);
    out[i * 4 + 2] = clamp8(c);
    out[i * 4 + 3] = 255;
  }
  return { rows, columns, channels: 4, data: out };
}

function clamp8(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

function paletteToRgba(ds: DicomDataset, frame: StoredFrame): DisplayImage {
  const { rows, columns, values } = frame;
  const channels = (['Red', 'Green', 'Blue'] as const).map((c) => paletteChannel(ds, c));
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    for (let k = 0; k < 3; k++) {
      const ch = channels[k]!;
      out[i * 4 + k] = ch.data[clampIndex(values[i]! - ch.first, ch.data.length)]!;
    }
    out[i * 4 + 3] = 255;
  }
  return { rows, columns, channels: 4, data: out };
}

function paletteChannel(ds: DicomDataset, color: 'Red' | 'Green' | 'Blue'): { first: number; data: Uint8Array } {
  const desc = ds.numbers(`${color}PaletteColorLookupTableDescriptor`);
  const bytes = ds.bytes(`${color}PaletteColorLookupTableData`);
  if (desc.length < 3 || !bytes)
    throw new DicomParseError('missing-attribute', `PALETTE COLOR image lacks the ${color} palette`);
  const entries = desc[0] === 0 ? 65536 : desc[0]!;
  const bits = desc[2]!;
  const data = new Uint8Array(entries);
  if (bytes.length >= entries * 2) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const words = Array.from({ length: entries }, (_, i) => view.getUint16(i * 2, !ds.bigEndian));
    const maxWord = Math.max(...words.slice(0, 4096));
    const scale16 = bits === 16 || maxWord > 255;
    for (let i = 0; i < entries; i++) data[i] = scale16 ? words[i]! >> 8 : words[i]!;
  } else if (bytes.length >= entries) {
    data.set(bytes.subarray(0, entries));
  } else throw new DicomParseError('bad-length', `${color} palette holds ${bytes.length} bytes for ${entries} entries`);
  return { first: desc[1]!, data };
}
