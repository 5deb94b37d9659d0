import type { PixelModule } from '../pixelModule.js';

/** A decoded frame straight from a codec: samples as little-endian bytes, interleaved when colour. */
export interface CodecOutput {
  /** Samples, `bytesPerSample` each, little endian, pixel-interleaved. */
  readonly bytes: Uint8Array;
  readonly bytesPerSample: 1 | 2 | 4;
  /** Photometric interpretation of the samples as returned (codecs may have converted YCbCr to RGB). */
  readonly photometric: string;
  /** Set when the codestream's own signedness overrides Pixel Representation (J2K written with a mismatch). */
  readonly signed?: boolean;
  /** Bits per sample the codestream declares; unsigned samples then need no masking when it is <= Bits Stored. */
  readonly precision?: number;
}

/** One codec: decode a compressed frame whose image must match the pixel module. */
export type FrameDecoder = (encoded: Uint8Array, pm: PixelModule) => Promise<CodecOutput>;
