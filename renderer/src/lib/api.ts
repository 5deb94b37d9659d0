// Runtime imports come from zod-free modules only, to keep the page small.
import { WS_PATH, type BridgeApi, type OslerApi, type WireMessage } from '../../../native/contract/api.js';
import type {
  ChannelInput,
  ChannelName,
  ChannelOutput,
  EventName,
  EventPayload,
} from '../../../native/contract/channels.js';
import { fail, type Result } from '../../../native/contract/result.js';
import { decodeWire } from '../../../native/contract/wire.js';

declare global {
  interface Window {
    /** The Electron preload bridge; absent in browser mode. */
    osler?: BridgeApi;
  }
}

type Listener = (payload: unknown) => void;

/** The API over the Electron preload bridge. */
function bridgeApi(bridge: BridgeApi): OslerApi {
  return {
    invoke: <K extends ChannelName>(channel: K, input: ChannelInput<K>) =>
      bridge.invoke(channel, input) as Promise<Result<ChannelOutput<K>>>,
    on: <E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) =>
      bridge.on(event, listener as Listener),
  };
}

/** Connection state of the browser-mode socket, for the status bar. */
export type ConnectionState = 'connecting' | 'open' | 'closed';

/**
 * The API over browser mode's WebSocket. The session cookie set when the page was opened with
 * its token authenticates the socket; calls made while it (re)connects are queued.
 */
export function socketApi(url: string, onState: (state: ConnectionState) => void = () => undefined): OslerApi {
  let nextId = 1;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const listeners = new Map<string, Set<Listener>>();
  let queue: string[] = [];
  let socket: WebSocket;
  let retryMs = 250;

  function connect(): void {
    onState('connecting');
    socket = new WebSocket(url);
    socket.binaryType = 'arraybuffer';
    socket.addEventListener('open', () => {
      retryMs = 250;
      onState('open');
      for (const message of queue) socket.send(message);
      queue = [];
    });
    socket.addEventListener('message', (e: MessageEvent<string | ArrayBuffer>) => {
      const message: WireMessage = decodeWire(e.data);
      if (message.kind === 'result') {
        pending.get(message.id)?.(message.result);
        pending.delete(message.id);
      } else {
        for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
      }
    });
    socket.addEventListener('close', () => {
      onState('closed');
      for (const resolve of pending.values()) resolve(fail('unavailable', 'connection to Osler lost'));
      pending.clear();
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    });
  }
  connect();

  return {
    invoke<K extends ChannelName>(channel: K, input: ChannelInput<K>) {
      const id = nextId++;
      const message = JSON.stringify({ id, channel, input });
      return new Promise<Result<ChannelOutput<K>>>((resolve) => {
        pending.set(id, resolve as (r: Result<unknown>) => void);
        if (socket.readyState === WebSocket.OPEN) socket.send(message);
        else queue.push(message);
      });
    },
    on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void) {
      const set = listeners.get(event) ?? new Set<Listener>();
      set.add(listener as Listener);
      listeners.set(event, set);
      return () => set.delete(listener as Listener);
    },
  };
}

/** The API for this page: the Electron bridge when present, the WebSocket otherwise. */
export function createApi(): OslerApi {
  if (window.osler) return bridgeApi(window.osler);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return socketApi(`${scheme}://${location.host}${WS_PATH}`);
}
