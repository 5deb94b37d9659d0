import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { WS_MAX_MESSAGE_BYTES, WS_PATH, encodeWire, fail, type WireMessage } from '../contract/index.js';
import type { Core } from '../app/core.js';
import { SECURITY_HEADERS } from '../app/security.js';
import { checkRequest, cookieName, newToken } from './auth.js';
import { openStatic, resolveStatic } from './static.js';

/** Options of {@link startHost}. */
export interface HostOptions {
  readonly core: Core;
  /** Folder of the built renderer (index.html and assets). */
  readonly rendererDir: string;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Fixed token (tests only); a random one per start otherwise. */
  readonly token?: string;
}

/** A running browser-mode host. */
export interface Host {
  readonly port: number;
  readonly token: string;
  /** The URL to open: carries the token once, then the page lives on a session cookie. */
  readonly url: string;
  close(): Promise<void>;
}

const BIND_ADDRESS = '127.0.0.1';

function refuse(res: ServerResponse, status: number, reason: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${reason}\n`);
}

function refuseUpgrade(socket: Socket, status: 400 | 401 | 403 | 404, reason: string): void {
  const text = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found' }[status];
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(reason) + 1}\r\n\r\n${reason}\n`,
  );
}

function parseUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return null;
  }
}

/**
 * Serves the core and the built renderer on 127.0.0.1 for a browser (`osler serve`). Every HTTP
 * request and the WebSocket need the session token; Host and Origin are checked so another site
 * or a DNS-rebinding page cannot reach the core.
 */
export async function startHost(options: HostOptions): Promise<Host> {
  const { core, rendererDir } = options;
  const token = options.token ?? newToken();
  let port = 0;

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch(() => {
      if (!res.headersSent) refuse(res, 500, 'internal error');
      else res.destroy();
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseUrl(req);
    if (url === null) return refuse(res, 400, 'bad request');
    const verdict = checkRequest(req, url, port, token);
    if (!verdict.ok) return refuse(res, verdict.status, verdict.reason);
    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'method not allowed');
    if (verdict.via === 'query') {
      // Trade the token in the URL for an HttpOnly cookie and drop it from the address bar.
      url.searchParams.delete('token');
      res.writeHead(303, {
        ...SECURITY_HEADERS,
        'Set-Cookie': `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname + url.search,
      });
      res.end();
      return;
    }
    const file = await resolveStatic(rendererDir, url.pathname);
    if (file === null) return refuse(res, 404, 'not found');
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Content-Length': file.size });
    if (req.method === 'HEAD') return void res.end();
    const stream = openStatic(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_MESSAGE_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = parseUrl(req);
    if (url === null) return refuseUpgrade(socket, 400, 'bad request');
    if (url.pathname !== WS_PATH) return refuseUpgrade(socket, 404, 'not found');
    const verdict = checkRequest(req, url, port, token, true);
    if (!verdict.ok) return refuseUpgrade(socket, verdict.status, verdict.reason);
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', (data: RawData, isBinary: boolean) => void onMessage(ws, data, isBinary));
    });
  });

  async function onMessage(ws: WebSocket, data: RawData, isBinary: boolean): Promise<void> {
    let call: unknown;
    try {
      if (isBinary) throw new Error('binary');
      call = JSON.parse(data.toString());
    } catch {
      return send(ws, { kind: 'result', id: -1, result: fail('invalid-input', 'message is not JSON') });
    }
    const c = call as { id?: unknown; channel?: unknown; input?: unknown } | null;
    if (c === null || typeof c !== 'object' || typeof c.id !== 'number' || !Number.isSafeInteger(c.id)) {
      return send(ws, { kind: 'result', id: -1, result: fail('invalid-input', 'message needs a numeric id') });
    }
    const result = await core.dispatch(c.channel, c.input, { via: 'browser' });
    send(ws, { kind: 'result', id: c.id, result });
  }

  function send(ws: WebSocket, message: WireMessage): void {
    if (ws.readyState === ws.OPEN) ws.send(encodeWire(message));
  }

  const unsubscribe = core.onAny((event, payload) => {
    for (const ws of clients) send(ws, { kind: 'event', event, payload });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, BIND_ADDRESS, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    port,
    token,
    url: `http://${BIND_ADDRESS}:${port}/?token=${token}`,
    async close() {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
    },
  };
}
