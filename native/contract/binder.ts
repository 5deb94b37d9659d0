import type { z } from 'zod';
import {
  channels,
  isChannelName,
  type ChannelName,
  type ChannelOutput,
  type ChannelParsedInput,
  type HostMode,
} from './channels.js';
import { checkPayload, DEFAULT_LIMITS, type PayloadLimits } from './guard.js';
import { fail, ok, OslerError, type Result } from './result.js';

/** What a handler knows about its caller. */
export interface CallContext {
  /** The shell the call came through. */
  readonly via: HostMode;
}

/** One handler per channel, receiving validated input. */
export type Handlers = {
  [K in ChannelName]: (input: ChannelParsedInput<K>, ctx: CallContext) => Promise<ChannelOutput<K>> | ChannelOutput<K>;
};

/** Validates any call and routes it to its handler. */
export type Dispatch = (channel: unknown, input: unknown, ctx: CallContext) => Promise<Result<unknown>>;

/** Options of {@link createDispatcher}. */
export interface DispatcherOptions {
  readonly limits?: PayloadLimits;
  /** Receives unexpected errors (with stack) for the core's own log; never sent to the caller. */
  readonly onInternalError?: (channel: string, error: unknown) => void;
}

function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
    return `${where}: ${issue.message}`;
  });
  if (error.issues.length > 5) parts.push(`and ${error.issues.length - 5} more`);
  return parts.join('; ');
}

/**
 * Binds the contract to its handlers. The returned function never throws: it answers
 * `unknown-channel`, `too-large` or `invalid-input` without calling any handler when the call is
 * malformed, turns {@link OslerError}s into their code, and anything else into `internal`.
 * Outputs are validated too, so a handler bug surfaces as `internal` rather than as data the
 * renderer does not expect.
 */
export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatch {
  const limits = options.limits ?? DEFAULT_LIMITS;
  return async (channel, input, ctx) => {
    if (!isChannelName(channel)) {
      const name = typeof channel === 'string' ? channel.slice(0, 80) : typeof channel;
      return fail('unknown-channel', `no such channel: ${name}`);
    }
    const tooBig = checkPayload(input, limits);
    if (tooBig !== null) return fail('too-large', `${channel}: ${tooBig}`);
    const def = channels[channel];
    const parsed = def.input.safeParse(input);
    if (!parsed.success) return fail('invalid-input', `${channel}: ${describeIssues(parsed.error)}`);
    try {
      const handler = handlers[channel] as (i: unknown, c: CallContext) => unknown;
      const value = await handler(parsed.data, ctx);
      const checked = def.output.safeParse(value);
      if (!checked.success) {
        options.onInternalError?.(channel, checked.error);
        return fail('internal', `${channel}: the core produced an invalid answer`);
      }
      return ok(checked.data);
    } catch (error) {
      if (error instanceof OslerError) return fail(error.code, error.message);
      options.onInternalError?.(channel, error);
      return fail('internal', `${channel}: unexpected error in the core`);
    }
  };
}
