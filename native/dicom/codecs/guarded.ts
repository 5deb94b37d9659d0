import type { PixelModule } from '../pixelModule.js';
import { decodeJpegLs } from './jpegLs.js';
import type { CodecOutput, FrameDecoder } from './types.js';

/** Codecs that run in a codec worker under a deadline (pool.ts). */
export const GUARDED_DECODERS = { 'jpeg-ls': decodeJpegLs } satisfies Record<string, FrameDecoder>;
export type GuardedCodec = keyof typeof GUARDED_DECODERS;

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
