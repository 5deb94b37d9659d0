import { parseArgs, type ParseArgsConfig } from 'node:util';
import { OslerError } from '../contract/result.js';

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  home: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsConfig['options'];

/**
 * Parses a command's arguments strictly; an unknown flag or a missing value is an
 * `invalid-input` error with a one-line reason rather than a stack trace.
 */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O) {
  try {
    return parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new OslerError('invalid-input', message);
  }
}

/** Parses a TCP port option (0 = any free port). */
export function parsePort(value: string | undefined): number {
  if (value === undefined) return 0;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new OslerError('invalid-input', `--port must be an integer from 0 to 65535, got "${value}"`);
  return port;
}
