/** Why a DICOM input was refused. Stable codes: callers branch on them, the message is for humans. */
export type DicomErrorReason =
  | 'not-dicom'
  | 'truncated'
  | 'bad-length'
  | 'too-large'
  | 'too-deep'
  | 'unsupported-transfer-syntax'
  | 'missing-attribute'
  | 'bad-attribute'
  | 'no-pixel-data'
  | 'frame-out-of-range'
  | 'decode-failed';

/** The one error type of the DICOM engine. Never partial results: a failure refuses the whole request. */
export class DicomParseError extends Error {
  override readonly name = 'DicomParseError';
  readonly reason: DicomErrorReason;

  constructor(reason: DicomErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** True when `e` is a DicomParseError (optionally with the given reason). */
export function isDicomParseError(e: unknown, reason?: DicomErrorReason): e is DicomParseError {
  return e instanceof DicomParseError && (reason === undefined || e.reason === reason);
}

/** Text of anything thrown, including the bare strings and `{exception}` objects dicom-parser throws. */
export function thrownText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'exception' in e) return thrownText((e as { exception: unknown }).exception);
  return String(e);
}
