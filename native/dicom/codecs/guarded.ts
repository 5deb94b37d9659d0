import type { PixelModule } from '../pixelModule.js';
import { decodeHtj2k, decodeJpeg2000 } from './jpeg2000.js';
import { decodeJpegLs } from './jpegLs.js';
import type { CodecOutput, FrameDecoder } from './types.js';

/**
 * Codecs that run in a codec worker under a deadline (pool.ts): the wasm ones with their own entropy
 * decoders (CharLS, OpenJPEG, OpenJPH), whose calls cannot be interrupted and which are also the
 * slowest per frame, so running them off the calling thread (two at a time) matters most.
 */
export const GUARDED_DECODERS = {
  'jpeg-ls': decodeJpegLs,
  jpeg2000: decodeJpeg2000,
  htj2k: decodeHtj2k,
} satisfies Record<string, FrameDecoder>;
export type GuardedCodec = keyof typeof GUARDED_DECODERS;

/** How error messages name each guarded codec. */
export const GUARDED_CODEC_NAMES: Record<GuardedCodec, string> = {
  'jpeg-ls': 'JPEG-LS',
  jpeg2000: 'JPEG 2000',
  htj2k: 'HTJ2K',
};

/** A frame to decode. */
export interface CodecRequest {
  readonly id: number;
  readonly codec: GuardedCodec;
  readonly encoded: Uint8Array;
  readonly pm: PixelModule;
}

/** The answer to one request. */
export type CodecReply =
  | { readonly id: number; readonly ok: true; readonly output: CodecOutput }
  | { readonly id: number; readonly ok: false; readonly reason: string; readonly message: string };
