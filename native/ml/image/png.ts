import { inflateSync } from 'node:zlib';

/** Why a PNG could not be decoded. */
export type PngErrorReason = 'not-png' | 'truncated' | 'bad-header' | 'unsupported' | 'bad-data';

/** A PNG decoding failure with a reason code. */
export class PngDecodeError extends Error {
  constructor(
    readonly reason: PngErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'PngDecodeError';
  }
}

/** A decoded PNG: samples row-major, `channels` per pixel (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly bitDepth: 8 | 16;
  /** 8-bit samples in a Uint8Array, 16-bit in a Uint16Array. */
  readonly data: Uint8Array | Uint16Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a non-interlaced PNG of bit depth 8 or 16 (gray, gray+alpha, RGB, RGBA) or an 8-bit
 * palette image (expanded to RGB or RGBA). Enough for ImageFolder data sets (MedMNIST, exported
 * slices); interlaced and sub-byte images are refused with reason `unsupported`.
 */
export function decodePng(bytes: Uint8Array): DecodedImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b))
    throw new PngDecodeError('not-png', 'not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 8;
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | null = null;
  const idat: Uint8Array[] = [];
  let palette: Uint8Array | null = null;
  let alpha: Uint8Array | null = null;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    if (start + length + 4 > bytes.length)
      throw new PngDecodeError('truncated', `chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(start, start + length);
    if (type === 'IHDR') {
      if (length < 13) throw new PngDecodeError('bad-header', 'IHDR too short');
      header = {
        width: view.getUint32(start),
        height: view.getUint32(start + 4),
        bitDepth: body[8]!,
        colorType: body[9]!,
        interlace: body[12]!,
      };
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') alpha = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    offset = start + length + 4;
  }
  if (header === null) throw new PngDecodeError('bad-header', 'no IHDR chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  const baseChannels = CHANNELS[colorType];
  if (width === 0 || height === 0 || width * height > 1 << 28)
    throw new PngDecodeError('bad-header', `image size ${width}x${height} out of range`);
  if (baseChannels === undefined) throw new PngDecodeError('bad-header', `colour type ${colorType}`);
  if (interlace !== 0) throw new PngDecodeError('unsupported', 'interlaced PNG');
  if (bitDepth !== 8 && bitDepth !== 16) throw new PngDecodeError('unsupported', `bit depth ${bitDepth}`);
  if (colorType === 3 && bitDepth !== 8)
    throw new PngDecodeError('unsupported', 'palette PNG with bit depth other than 8');
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), {
      maxOutputLength: height * (1 + width * baseChannels * (bitDepth / 8)) + 1,
    });
  } catch (error) {
    throw new PngDecodeError(
      'bad-data',
      `image data does not inflate: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const bpp = baseChannels * (bitDepth / 8);
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) throw new PngDecodeError('truncated', 'image data shorter than the image');
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const dst = y * stride;
    const prev = dst - stride;
    for (let x = 0; x < stride; x++) {
      const r = raw[src + x]!;
      const a = x >= bpp ? pixels[dst + x - bpp]! : 0;
      const b = y > 0 ? pixels[prev + x]! : 0;
      const c = x >= bpp && y > 0 ? pixels[prev + x - bpp]! : 0;
      let v: number;
      if (filter === 0) v = r;
      else if (filter === 1) v = r + a;
      else if (filter === 2) v = r + b;
      else if (filter === 3) v = r + ((a + b) >> 1);
      else if (filter === 4) v = r + paeth(a, b, c);
      else throw new PngDecodeError('bad-data', `row ${y}: filter type ${filter}`);
      pixels[dst + x] = v & 0xff;
    }
  }
  if (colorType === 3) {
    if (palette === null) throw new PngDecodeError('bad-data', 'palette image without PLTE');
    const channels = alpha !== null ? 4 : 3;
    const out = new Uint8Array(width * height * channels);
    for (let i = 0; i < width * height; i++) {
      const p = pixels[i]!;
      if (3 * p + 2 >= palette.length) throw new PngDecodeError('bad-data', `palette index ${p} out of range`);
      out[i * channels] = palette[3 * p]!;
      out[i * channels + 1] = palette[3 * p + 1]!;
      out[i * channels + 2] = palette[3 * p + 2]!;
      if (channels === 4) out[i * channels + 3] = p < alpha!.length ? alpha![p]! : 255;
    }
    return { width, height, channels, bitDepth: 8, data: out };
  }
  if (bitDepth === 16) {
    const out = new Uint16Array(width * height * baseChannels);
    for (let i = 0; i < out.length; i++) out[i] = (pixels[2 * i]! << 8) | pixels[2 * i + 1]!;
    return { width, height, channels: baseChannels, bitDepth: 16, data: out };
  }
  return { width, height, channels: baseChannels, bitDepth: 8, data: pixels };
}

/** Luminance in [0, 1] per pixel (Rec. 601 weights for colour; alpha ignored). */
export function toGrayscale(image: DecodedImage): Float32Array {
  const { width, height, channels, data } = image;
  const scale = image.bitDepth === 16 ? 1 / 65535 : 1 / 255;
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const o = i * channels;
    out[i] =
      channels >= 3 ? (0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!) * scale : data[o]! * scale;
  }
  return out;
}
