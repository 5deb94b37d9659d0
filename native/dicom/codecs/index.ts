import { DicomParseError } from '../errors.js';
import { transferSyntax, transferSyntaxName } from '../transferSyntax.js';
import { decodeHtj2k, decodeJpeg2000 } from './jpeg2000.js';
import { decodeJpegBaseline } from './jpegBaseline.js';
import { decodeJpegLossless } from './jpegLossless.js';
import { codecPool } from './pool.js';
import { decodeRle } from './rle.js';
import type { FrameDecoder } from './types.js';

export type { CodecOutput, FrameDecoder } from './types.js';

const DECODERS: Record<string, FrameDecoder> = {
  rle: decodeRle,
  'jpeg-baseline': decodeJpegBaseline,
  'jpeg-lossless': decodeJpegLossless,
  // CharLS can run for seconds on damaged entropy data and a wasm call cannot be interrupted, so
  // JPEG-LS frames decode in a worker under a deadline.
  'jpeg-ls': (encoded, pm) => codecPool().decode('jpeg-ls', encoded, pm),
  jpeg2000: decodeJpeg2000,
  htj2k: decodeHtj2k,
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
