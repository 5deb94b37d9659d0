/**
 * Error codes a call can answer with. Every failure crossing the contract carries one of these,
 * plus a human-readable message that never contains a stack trace or an unrequested file path.
 */
export const ERROR_CODES = [
  'unknown-channel',
  'invalid-input',
  'too-large',
  'not-found',
  'conflict',
  'unavailable',
  'cancelled',
  'unauthorized',
  'internal',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A failed call. */
export interface Failure {
  readonly ok: false;
  readonly code: ErrorCode;
  readonly message: string;
}

/** A successful call carrying its value. */
export interface Success<T> {
  readonly ok: true;
  readonly value: T;
}

/** What every contract call answers. */
export type Result<T> = Success<T> | Failure;

/**
 * The error type services throw for expected failures. The binder turns it into a {@link Failure};
 * any other thrown value becomes `internal` with a generic message.
 */
export class OslerError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'OslerError';
    this.code = code;
  }
}

/** Builds a {@link Success}. */
export function ok<T>(value: T): Success<T> {
  return { ok: true, value };
}

/** Builds a {@link Failure}. */
export function fail(code: ErrorCode, message: string): Failure {
  return { ok: false, code, message };
}
