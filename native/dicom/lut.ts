import type { DicomDataset } from './dataset.js';
import type { StoredFrame } from './decode.js';
import { DicomParseError } from './errors.js';
import { transferSyntax } from './transferSyntax.js';

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
    const table = readLut(lut, ds.number('PixelRepresentation') === 1);
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

/**
 * A LUT item (descriptor + data); descriptor entries 0 mean 65536 (PS3.3 C.11.1.1). The descriptor is "US or
 * SS": read as SS when the file says so, and as SS too (like pydicom) when it came as US in an implicit-VR file
 * whose Pixel Representation is signed, so a negative first mapped value is not read as 65535-ish.
 */
function readLut(item: DicomDataset, signedPixels: boolean): Lut | undefined {
  const desc = item.numbers('LUTDescriptor');
  const bytes = item.bytes('LUTData');
  if (desc.length < 3 || !bytes) return undefined;
  const entries = desc[0]! <= 0 ? desc[0]! + 65536 : desc[0]!;
  const explicitUs = declaredUs(item, 'LUTDescriptor');
  const first = signedPixels && !explicitUs && desc[1]! >= 32768 ? desc[1]! - 65536 : desc[1]!;
  const bits = desc[2]!;
  const data = new Uint16Array(entries);
  if (bytes.length >= entries * 2) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let i = 0; i < entries; i++) data[i] = view.getUint16(i * 2, !item.bigEndian);
  } else if (bytes.length >= entries) {
    // 8-bit entries packed one per byte ("8 bits allocated", PS3.3 C.11.2.1.1).
    for (let i = 0; i < entries; i++) data[i] = bytes[i]!;
  } else return undefined;
  return { first, bits, data };
}

/** True when an explicit-VR file declares the "US or SS" element as US (implicit VR leaves it ambiguous). */
function declaredUs(
  ds: DicomDataset,
  key: 'LUTDescriptor' | `${'Red' | 'Green' | 'Blue'}PaletteColorLookupTableDescriptor`,
): boolean {
  return (transferSyntax(ds.transferSyntaxUid)?.explicitVr ?? true) && ds.element(key)?.vr === 'US';
}

/** One VOI LUT of the VOI LUT Sequence (0028,3010): input in modality units, output entries of `bits` bits. */
export interface VoiLut {
  /** First input value mapped; lower inputs take entry 0, inputs past the table its last entry. */
  readonly firstMapped: number;
  /** Bits per entry (LUT Descriptor third value, 8-16); display scales entries by 255 / (2^bits - 1). */
  readonly bits: number;
  readonly data: Uint16Array;
  readonly explanation?: string;
}

/**
 * The VOI LUTs of an image (VOI LUT Sequence items at the top level), in file order. Items without a usable
 * descriptor and data are skipped.
 * @throws DicomParseError `bad-attribute` for an entry size outside 8-16 bits.
 */
export function voiLuts(ds: DicomDataset): VoiLut[] {
  const signed = ds.number('PixelRepresentation') === 1;
  const out: VoiLut[] = [];
  for (const item of ds.sequence('VOILUTSequence')) {
    const lut = readLut(item, signed);
    if (!lut) continue;
    if (lut.bits < 8 || lut.bits > 16)
      throw new DicomParseError('bad-attribute', `VOI LUT entries of ${lut.bits} bits (8-16 allowed)`);
    const explanation = item.string('LUTExplanation');
    out.push({ firstMapped: lut.first, bits: lut.bits, data: lut.data, ...(explanation ? { explanation } : {}) });
  }
  return out;
}

/**
 * Map modality values through a VOI LUT (PS3.3 C.11.2.1.1): the same values pydicom's `apply_voi_lut` returns.
 * Non-integer inputs (rescaled data) are truncated toward the first mapped value, as pydicom's integer cast does.
 */
export function applyVoiLut(values: ArrayLike<number>, lut: VoiLut): Uint16Array {
  const n = values.length;
  const out = new Uint16Array(n);
  const { data, firstMapped } = lut;
  const last = data.length - 1;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    const idx = x < firstMapped ? 0 : Math.trunc(x - firstMapped);
    out[i] = data[idx > last ? last : idx]!;
  }
  return out;
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
  /**
   * Index into the file's VOI LUT Sequence. When neither `window` nor `presetIndex` is given, a file with VOI
   * LUTs displays through the first one (as pydicom's `apply_voi_lut` prefers the LUT); `false` ignores them.
   */
  readonly voiLutIndex?: number | false;
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
  /** The window actually applied (grayscale through a window). */
  readonly window?: Window;
  /** The VOI LUT actually applied (grayscale through the VOI LUT Sequence), by index in the sequence. */
  readonly voiLutIndex?: number;
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
  const invert = frame.photometric === 'MONOCHROME1';
  const gray = new Uint8Array(pixels);
  const lutIndex =
    options.window || options.presetIndex !== undefined || options.voiLutIndex === false
      ? undefined
      : (options.voiLutIndex ?? 0);
  const lut = lutIndex === undefined ? undefined : voiLuts(ds)[lutIndex];
  if (lut) {
    const mapped = applyVoiLut(values, lut);
    const scale = 255 / (2 ** lut.bits - 1);
    for (let i = 0; i < pixels; i++) {
      const b = Math.min(255, Math.round(mapped[i]! * scale));
      gray[i] = invert ? 255 - b : b;
    }
    return grayImage(rows, columns, gray, options.rgba === true, { voiLutIndex: lutIndex! });
  }
  const window = options.window ?? windowPresets(ds, frameIndex)[options.presetIndex ?? 0] ?? minMaxWindow(values);
  const fn = options.voiFunction ?? voiFunctionOf(ds, frameIndex);
  applyWindow(values, gray, window, fn, invert);
  return grayImage(rows, columns, gray, options.rgba === true, { window });
}

function grayImage(
  rows: number,
  columns: number,
  gray: Uint8Array,
  rgba: boolean,
  applied: { window: Window } | { voiLutIndex: number },
): DisplayImage {
  if (!rgba) return { rows, columns, channels: 1, data: gray, ...applied };
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    const g = gray[i]!;
    out[i * 4] = g;
    out[i * 4 + 1] = g;
    out[i * 4 + 2] = g;
    out[i * 4 + 3] = 255;
  }
  return { rows, columns, channels: 4, data: out, ...applied };
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
  const { rows, columns } = frame;
  const palette = paletteOf(ds);
  const rgb = paletteColorValues(ds, frame, palette);
  // 16-bit entries (or 8-bit entries stored in 16-bit words that exceed 255) keep their high byte.
  const shift = palette.display16 ? 8 : 0;
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * 4);
  for (let i = 0; i < pixels; i++) {
    out[i * 4] = rgb[i * 3]! >> shift;
    out[i * 4 + 1] = rgb[i * 3 + 1]! >> shift;
    out[i * 4 + 2] = rgb[i * 3 + 2]! >> shift;
    out[i * 4 + 3] = 255;
  }
  return { rows, columns, channels: 4, data: out };
}

/** The Palette Color Lookup Table module of an image, expanded (segmented tables included). */
export interface Palette {
  /** First stored value mapped; lower values take entry 0, values past the table its last entry. */
  readonly firstMapped: number;
  /** Bits per entry as stored: 8 when the data holds one byte per entry, else 16. */
  readonly storedBits: 8 | 16;
  /** True when display keeps the high byte of each entry (16-bit entries). */
  readonly display16: boolean;
  readonly red: Uint16Array;
  readonly green: Uint16Array;
  readonly blue: Uint16Array;
}

const COLORS = ['Red', 'Green', 'Blue'] as const;

/**
 * Read the Red/Green/Blue Palette Color LUTs (PS3.3 C.7.6.3), plain or segmented (C.7.9.2).
 * @throws DicomParseError `missing-attribute` without palettes, `bad-length` / `bad-attribute` when malformed.
 */
export function paletteOf(ds: DicomDataset): Palette {
  const signed = ds.number('PixelRepresentation') === 1;
  const channels = COLORS.map((c) => paletteChannel(ds, c, signed));
  const [red, green, blue] = channels;
  if (red!.data.length !== green!.data.length || red!.data.length !== blue!.data.length)
    throw new DicomParseError('bad-attribute', 'the red, green and blue palettes differ in length');
  const storedBits = red!.storedBits;
  const display16 = channels.some((ch) => ch.nominalBits === 16 || ch.max > 255);
  return {
    firstMapped: red!.first,
    storedBits,
    display16,
    red: red!.data,
    green: green!.data,
    blue: blue!.data,
  };
}

/**
 * RGB (pixel-interleaved) palette entries for a PALETTE COLOR frame: the values pydicom's `apply_color_lut`
 * returns, in the palette's own entry units (8 or 16 bit).
 */
export function paletteColorValues(
  ds: DicomDataset,
  frame: StoredFrame,
  palette: Palette = paletteOf(ds),
): Uint16Array {
  const { values } = frame;
  const pixels = frame.rows * frame.columns;
  const out = new Uint16Array(pixels * 3);
  const { red, green, blue, firstMapped } = palette;
  const last = red.length - 1;
  for (let i = 0; i < pixels; i++) {
    const d = values[i]! - firstMapped;
    const k = d < 0 ? 0 : d > last ? last : d;
    out[i * 3] = red[k]!;
    out[i * 3 + 1] = green[k]!;
    out[i * 3 + 2] = blue[k]!;
  }
  return out;
}

interface PaletteChannel {
  readonly first: number;
  readonly nominalBits: number;
  readonly storedBits: 8 | 16;
  readonly max: number;
  readonly data: Uint16Array;
}

/** Entries in a palette: at most 65536 (descriptor 0), and a segmented table may not expand past that. */
const MAX_PALETTE_ENTRIES = 65536;

function paletteChannel(ds: DicomDataset, color: 'Red' | 'Green' | 'Blue', signed: boolean): PaletteChannel {
  const desc = ds.numbers(`${color}PaletteColorLookupTableDescriptor`);
  const plain = ds.bytes(`${color}PaletteColorLookupTableData`);
  const segmented = ds.bytes(`Segmented${color}PaletteColorLookupTableData`);
  if (desc.length < 3 || (!plain && !segmented))
    throw new DicomParseError('missing-attribute', `PALETTE COLOR image lacks the ${color} palette`);
  const entries = desc[0]! <= 0 ? desc[0]! + 65536 : desc[0]!;
  // "US or SS" like the VOI LUT descriptor: signed images may map from a negative first value.
  const first =
    signed && !declaredUs(ds, `${color}PaletteColorLookupTableDescriptor`) && desc[1]! >= 32768
      ? desc[1]! - 65536
      : desc[1]!;
  const nominalBits = desc[2]!;
  if (nominalBits !== 8 && nominalBits !== 16)
    throw new DicomParseError('bad-attribute', `${color} palette entries of ${nominalBits} bits (8 or 16 allowed)`);
  let data: Uint16Array;
  let storedBits: 8 | 16;
  if (plain) {
    data = new Uint16Array(entries);
    if (plain.length >= entries * 2) {
      const view = new DataView(plain.buffer, plain.byteOffset, plain.length);
      for (let i = 0; i < entries; i++) data[i] = view.getUint16(i * 2, !ds.bigEndian);
      storedBits = 16;
    } else if (plain.length >= entries) {
      for (let i = 0; i < entries; i++) data[i] = plain[i]!;
      storedBits = 8;
    } else
      throw new DicomParseError('bad-length', `${color} palette holds ${plain.length} bytes for ${entries} entries`);
  } else {
    const words = segmentWords(segmented!, nominalBits, ds.bigEndian);
    data = Uint16Array.from(expandSegmented(words, nominalBits === 8, ds.bigEndian, color));
    storedBits = nominalBits;
  }
  let max = 0;
  for (let i = 0; i < Math.min(data.length, 4096); i++) if (data[i]! > max) max = data[i]!;
  return { first, nominalBits, storedBits, max, data };
}

function segmentWords(bytes: Uint8Array, bits: number, bigEndian: boolean): number[] {
  if (bits === 8) return Array.from(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) out.push(view.getUint16(i, !bigEndian));
  return out;
}

/**
 * Expand a segmented palette (PS3.3 C.7.9.2): discrete (0), linear (1) and indirect (2) segments. Linear ramps
 * and the indirect offset (an index into the entries) follow pydicom's reading, so results match it exactly.
 */
function expandSegmented(
  data: readonly number[],
  eightBit: boolean,
  bigEndian: boolean,
  color: string,
  start = 0,
  maxSegments = Infinity,
  previous?: number,
  depth = 0,
): number[] {
  const bad = (why: string) => new DicomParseError('bad-attribute', `segmented ${color} palette: ${why}`);
  if (depth > 4) throw bad('indirect segments nest too deeply');
  const lut: number[] = [];
  let offset = start;
  let segments = 0;
  while (offset + 1 < data.length && segments < maxSegments) {
    const opcode = data[offset]!;
    const length = data[offset + 1]!;
    offset += 2;
    if (opcode === 0) {
      if (offset + length > data.length) throw bad('a discrete segment runs past the data');
      for (let i = 0; i < length; i++) lut.push(data[offset + i]!);
      offset += length;
    } else if (opcode === 1) {
      const y0 = lut.length ? lut[lut.length - 1]! : previous;
      if (y0 === undefined) throw bad('the first segment cannot be linear');
      if (offset >= data.length) throw bad('a linear segment has no end value');
      const y1 = data[offset++]!;
      if (y0 === y1) for (let i = 0; i < length; i++) lut.push(y1);
      else lut.push(...linearRamp(y0, y1, length));
    } else if (opcode === 2) {
      if (!lut.length && previous === undefined) throw bad('the first segment cannot be indirect');
      let target: number;
      if (eightBit) {
        if (offset + 4 > data.length) throw bad('an indirect segment is cut short');
        const b = bigEndian ? [2, 3, 0, 1] : [3, 2, 1, 0];
        const ii = b.map((k) => data[offset + k]!);
        target = (((ii[0]! << 8) | ii[1]!) * 65536 + ((ii[2]! << 8) | ii[3]!)) >>> 0;
        offset += 4;
      } else {
        if (offset + 2 > data.length) throw bad('an indirect segment is cut short');
        target = data[offset + 1]! * 65536 + data[offset]!;
        offset += 2;
      }
      if (target >= data.length) throw bad('an indirect segment points past the data');
      const last = lut.length ? lut[lut.length - 1] : previous;
      lut.push(...expandSegmented(data, eightBit, bigEndian, color, target, length, last, depth + 1));
    } else throw bad(`unknown segment type ${opcode}`);
    if (lut.length > MAX_PALETTE_ENTRIES) throw bad(`expands past ${MAX_PALETTE_ENTRIES} entries`);
    segments++;
  }
  return lut;
}

/** `length` values from just after y0 to y1, as numpy's around(linspace(y0 + step, y1, length)). */
function linearRamp(y0: number, y1: number, length: number): number[] {
  if (length <= 0) return [];
  const step = (y1 - y0) / length;
  const start = y0 + step;
  if (length === 1) return [roundHalfEven(start)];
  const delta = (y1 - start) / (length - 1);
  const out: number[] = [];
  for (let i = 0; i < length - 1; i++) out.push(roundHalfEven(i * delta + start));
  out.push(roundHalfEven(y1));
  return out;
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
