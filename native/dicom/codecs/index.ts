import { DicomParseError } from '../errors.js';
import { transferSyntax, transferSyntaxName } from '../transferSyntax.js';
import { decodeJpegBaseline } from './jpegBaseline.js';
import { decodeJpegLossless } from './jpegLossless.js';
import { GUARDED_DECODERS, type GuardedCodec } from './guarded.js';
import { codecPool } from './pool.js';
import { decodeRle } from './rle.js';
import type { FrameDecoder } from './types.js';

export type { CodecOutput, FrameDecoder } from './types.js';

const DECODERS: Record<string, FrameDecoder> = {
  rle: decodeRle,
  'jpeg-baseline': decodeJpegBaseline,
  'jpeg-lossless': decodeJpegLossless,
  // The wasm codecs can run for seconds on damaged entropy data and a wasm call cannot be interrupted,
  // so their frames decode in codec workers under a deadline (two at a time, off the calling thread).
  ...Object.fromEntries(
    (Object.keys(GUARDED_DECODERS) as GuardedCodec[]).map((codec): [string, FrameDecoder] => [
      codec,
      (encoded, pm) => codecPool().decode(codec, encoded, pm),
    ]),
  ),
};

/**
 * The decoder for an encapsulated transfer syntax.
 * @throws DicomParseError `unsupported-transfer-syntax` for syntaxes without a codec.
 */
export function decoderFor(uid: string): FrameDecoder {
  const ts = transferSyntax(uid);
  const decoder = ts ? DECODERS[ts.codec] : undefined;
  if (!decoder)
    throw new DicomParseError(
      'unsupported-transfer-syntax',
      `pixel data in ${transferSyntaxName(uid)} cannot be decoded`,
    );
  return decoder;
}
