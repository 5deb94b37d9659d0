import type { ChannelInput, ChannelName, ChannelOutput, EventName, EventPayload } from './channels.js';
import type { Result } from './result.js';

/**
 * The one interface the renderer talks to, whichever shell hosts it: the Electron preload bridge
 * or the browser-mode WebSocket client implement it identically.
 */
export interface OslerApi {
  /** Calls a channel; resolves with its result, never rejects for contract-level failures. */
  invoke<K extends ChannelName>(channel: K, input: ChannelInput<K>): Promise<Result<ChannelOutput<K>>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The raw bridge the Electron preload exposes as `window.osler` (untyped on the wire). */
export interface BridgeApi {
  invoke(channel: string, input: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
  /** Electron only: the file-system path of a dropped file (drag and drop into the import screen). */
  pathForFile?(file: unknown): string;
}

/** Browser-mode WebSocket messages, client -> server. */
export interface WireCall {
  readonly id: number;
  readonly channel: string;
  readonly input: unknown;
}

/** Browser-mode WebSocket messages, server -> client. */
export type WireMessage =
  | { readonly kind: 'result'; readonly id: number; readonly result: Result<unknown> }
  | { readonly kind: 'event'; readonly event: string; readonly payload: unknown };

/** Path of the browser-mode WebSocket endpoint. */
export const WS_PATH = '/api';
/** Largest WebSocket message the browser-mode host accepts, in bytes. */
export const WS_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;
