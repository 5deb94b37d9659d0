import { decoderFor, type CodecOutput } from './codecs/index.js';
import type { DicomDataset } from './dataset.js';
import { DicomParseError } from './errors.js';
import { frameBytes } from './frames.js';
import { readPixelModule, type PixelModule } from './pixelModule.js';
import { transferSyntax, transferSyntaxName } from './transferSyntax.js';

/** Stored pixel values: the integer type the DICOM declares (1-bit data unpacked to 0/1 bytes), or float. */
export type StoredArray =
  Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** One decoded frame of stored values, pixel-interleaved when colour. */
export interface StoredFrame {
  readonly rows: number;
  readonly columns: number;
  readonly samplesPerPixel: 1 | 3;
  /** Photometric interpretation of `values` (codecs may return RGB for YBR input; 422 is expanded to YBR_FULL). */
  readonly photometric: string;
  readonly bitsStored: number;
  readonly signed: boolean;
  readonly values: StoredArray;
}

/**
 * Decode frame `frameIndex` (0-based) to stored values: masked to Bits Stored (shifted down when High Bit is
 * not Bits Stored - 1) and sign-extended when Pixel Representation is 1.
 * @throws DicomParseError (`unsupported-transfer-syntax`, `decode-failed`, `frame-out-of-range`, `truncated`, ...).
 */
export async function decodeFrame(ds: DicomDataset, frameIndex: number): Promise<StoredFrame> {
  const pm = readPixelModule(ds);
  const ts = transferSyntax(ds.transferSyntaxUid);
  if (!ts)
    throw new DicomParseError(
      'unsupported-transfer-syntax',
      `pixel data in ${transferSyntaxName(ds.transferSyntaxUid)} cannot be decoded`,
    );
  const fb = frameBytes(ds, pm, frameIndex, ts.encapsulated);
  let photometric = pm.photometricInterpretation;
  let effective = pm;
  let values: StoredArray;
  if (fb.kind === 'native') {
    if (pm.floatPixels) values = floatValues(fb.bytes, pm, ds.bigEndian);
    else if (pm.bitsAllocated === 1) values = unpackBits(fb.bytes, fb.bitOffset, pm.rows * pm.columns);
    else {
      const swap = ds.bigEndian && (pm.bitsAllocated > 8 || ds.vr('PixelData') === 'OW');
      const bytesPerSample = (pm.bitsAllocated / 8) as 1 | 2 | 4;
      let raw = fb.bytes;
      let fresh = false;
      if (swap) {
        raw = swapBytes(raw, pm.bitsAllocated > 8 ? bytesPerSample : 2);
        fresh = true;
      }
      if (photometric === 'YBR_FULL_422' && pm.samplesPerPixel === 3) {
        raw = expand422(raw, pm, bytesPerSample);
        photometric = 'YBR_FULL';
        fresh = true;
      } else if (pm.samplesPerPixel === 3 && pm.planarConfiguration === 1) {
        raw = interleavePlanar(raw, pm.rows * pm.columns, bytesPerSample);
        fresh = true;
      }
      values = toStored({ bytes: raw, bytesPerSample, photometric }, pm, fresh);
    }
  } else {
    const decoded = await decoderFor(ds.transferSyntaxUid)(fb.bytes, pm);
    photometric = decoded.photometric;
    if (decoded.signed !== undefined) {
      const bits = decoded.bytesPerSample * 8;
      effective = {
        ...pm,
        pixelRepresentation: decoded.signed ? 1 : 0,
        bitsStored: decoded.signed ? Math.max(pm.bitsStored, Math.min(bits, pm.bitsAllocated)) : pm.bitsStored,
        highBit: decoded.signed ? Math.min(bits, pm.bitsAllocated) - 1 : pm.highBit,
      };
    }
    // Every codec returns a buffer of its own (copied out of wasm memory or freshly built).
    values = toStored(decoded, effective, true);
  }
  return {
    rows: pm.rows,
    columns: pm.columns,
    samplesPerPixel: pm.samplesPerPixel,
    photometric,
    bitsStored: effective.bitsStored,
    signed: effective.pixelRepresentation === 1,
    values,
  };
}

function allocate(pm: PixelModule, n: number): StoredArray {
  const signed = pm.pixelRepresentation === 1;
  switch (pm.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(n) : new Uint8Array(n);
    case 16:
      return signed ? new Int16Array(n) : new Uint16Array(n);
    default:
      return signed ? new Int32Array(n) : new Uint32Array(n);
  }
}

/**
 * Mask, shift and sign-extend raw little-endian samples into the DICOM's stored-value type. `fresh` says the
 * bytes are a buffer nobody else holds (codec output), so when they already are the stored values (no shift,
 * no masking, same sample size) they become the result without a copy.
 */
function toStored(out: CodecOutput, pm: PixelModule, fresh: boolean): StoredArray {
  const n = pm.rows * pm.columns * pm.samplesPerPixel;
  const { bytes, bytesPerSample } = out;
  if (bytes.length < n * bytesPerSample)
    throw new DicomParseError(
      'decode-failed',
      `decoded frame has ${bytes.length} bytes, expected ${n * bytesPerSample}`,
    );
  const shift = pm.highBit + 1 - pm.bitsStored;
  const bits = pm.bitsStored;
  const signed = pm.pixelRepresentation === 1;
  const width = bytesPerSample * 8;
  // Unsigned samples from a codestream of no more bits than Bits Stored cannot carry bits to mask off.
  const inRange = bits === width || (!signed && out.precision !== undefined && out.precision <= bits);
  if (shift === 0 && width === pm.bitsAllocated && inRange) {
    // Samples already are the stored values: reinterpret, copying unless we own the whole buffer (a view over a
    // shared buffer would hand callers, and structured clones, bytes that are not this frame's).
    const exact = bytes.byteOffset === 0 && bytes.byteLength === n * bytesPerSample;
    const own =
      fresh && exact && bytes.buffer.byteLength === bytes.byteLength
        ? bytes
        : new Uint8Array(bytes.subarray(0, n * bytesPerSample));
    return view(own, pm.bitsAllocated, signed, n);
  }
  const aligned = bytes.byteOffset % bytesPerSample === 0 ? bytes : new Uint8Array(bytes);
  const src =
    bytesPerSample === 1
      ? aligned.subarray(0, n)
      : bytesPerSample === 2
        ? new Uint16Array(aligned.buffer, aligned.byteOffset, n)
        : new Uint32Array(aligned.buffer, aligned.byteOffset, n);
  const dst = allocate(pm, n);
  if (bits >= 32) {
    dst.set(src);
    return dst;
  }
  if (signed) {
    // Shift the sign bit to bit 31 and back: sign extension without a branch.
    const up = 32 - bits;
    for (let i = 0; i < n; i++) dst[i] = ((src[i]! >>> shift) << up) >> up;
  } else {
    const mask = (1 << bits) - 1;
    if (shift === 0) for (let i = 0; i < n; i++) dst[i] = src[i]! & mask;
    else for (let i = 0; i < n; i++) dst[i] = (src[i]! >>> shift) & mask;
  }
  return dst;
}

/** A typed view of `n` little-endian samples of the stored type over `bytes` (no copy). */
function view(bytes: Uint8Array, bitsAllocated: number, signed: boolean, n: number): StoredArray {
  const { buffer, byteOffset } = bytes;
  switch (bitsAllocated) {
    case 8:
      return signed ? new Int8Array(buffer, byteOffset, n) : bytes.subarray(0, n);
    case 16:
      return signed ? new Int16Array(buffer, byteOffset, n) : new Uint16Array(buffer, byteOffset, n);
    default:
      return signed ? new Int32Array(buffer, byteOffset, n) : new Uint32Array(buffer, byteOffset, n);
  }
}

function unpackBits(bytes: Uint8Array, bitOffset: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = bitOffset + i;
    out[i] = (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  return out;
}

function floatValues(bytes: Uint8Array, pm: PixelModule, bigEndian: boolean): Float32Array | Float64Array {
  const n = pm.rows * pm.columns * pm.samplesPerPixel;
  const size = pm.bitsAllocated / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = size === 8 ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = size === 8 ? view.getFloat64(i * 8, !bigEndian) : view.getFloat32(i * 4, !bigEndian);
  return out;
}

/** Big-endian samples to little endian, in a new unpooled buffer (Buffer's native swap). */
function swapBytes(bytes: Uint8Array, size: number): Uint8Array {
  const out = Buffer.allocUnsafeSlow(bytes.length - (bytes.length % size));
  out.set(bytes.subarray(0, out.length));
  if (size === 2) out.swap16();
  else if (size === 4) out.swap32();
  else if (size === 8) out.swap64();
  return out;
}

function interleavePlanar(bytes: Uint8Array, pixels: number, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(pixels * 3 * bytesPerSample);
  const plane = pixels * bytesPerSample;
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < pixels; i++) {
      for (let b = 0; b < bytesPerSample; b++)
        out[(i * 3 + s) * bytesPerSample + b] = bytes[s * plane + i * bytesPerSample + b]!;
    }
  }
  return out;
}

/** YBR_FULL_422 (Y1 Y2 Cb Cr per horizontal pixel pair) to full-resolution interleaved YBR_FULL. */
function expand422(bytes: Uint8Array, pm: PixelModule, bytesPerSample: number): Uint8Array {
  if (bytesPerSample !== 1)
    throw new DicomParseError('decode-failed', 'uncompressed YBR_FULL_422 is only supported for 8-bit samples');
  const { rows, columns } = pm;
  const out = new Uint8Array(rows * columns * 3);
  let src = 0;
  let dst = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c += 2) {
      const y1 = bytes[src]!;
      const y2 = bytes[src + 1]!;
      const cb = bytes[src + 2]!;
      const cr = bytes[src + 3]!;
      src += 4;
      out[dst++] = y1;
      out[dst++] = cb;
      out[dst++] = cr;
      if (c + 1 < columns) {
        out[dst++] = y2;
        out[dst++] = cb;
        out[dst++] = cr;
      }
    }
  }
  return out;
}
