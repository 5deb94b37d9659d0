import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore, type Core } from '../../../native/app/core.js';
import { CONTENT_SECURITY_POLICY } from '../../../native/app/security.js';
import { startHost, type Host } from '../../../native/host/server.js';
import { tempDir } from '../helpers.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { Host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a socket; resolves with the socket, or with the HTTP status it was refused with. */
function openSocket(url: string, headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', (e) => reject(e));
  });
}

function call(
  ws: WebSocket,
  message: unknown,
): Promise<{ id: number; result: { ok: boolean; code?: string; value?: unknown } }> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const parsed = JSON.parse(data.toString()) as { kind: string; id: number; result: never };
      if (parsed.kind !== 'result') return;
      ws.off('message', onMessage);
      resolve(parsed);
    };
    ws.on('message', onMessage);
    ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  });
}

describe('browser-mode host', () => {
  const tmp = tempDir();
  let core: Core;
  let host: Host;
  let origin: string;
  let cookie: string;

  beforeAll(async () => {
    const rendererDir = join(tmp.path, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Osler</title>');
    writeFileSync(join(tmp.path, 'secret.txt'), 'outside the renderer folder');
    core = createCore({ home: join(tmp.path, 'home'), mode: 'browser', log: () => undefined });
    host = await startHost({ core, rendererDir });
    origin = `http://127.0.0.1:${host.port}`;
    cookie = `osler_session_${host.port}=${host.token}`;
  });

  afterAll(async () => {
    await host.close();
    await core.close();
    tmp.cleanup();
  });

  it('prints a 127.0.0.1 URL carrying a long random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
  });

  it('refuses requests without a token (401) and with a wrong one (403)', async () => {
    expect((await get(host.port, '/')).status).toBe(401);
    expect((await get(host.port, '/?token=wrong')).status).toBe(403);
    expect((await get(host.port, '/', { Cookie: `osler_session_${host.port}=nope` })).status).toBe(403);
    expect((await get(host.port, '/', { Authorization: 'Bearer nope' })).status).toBe(403);
  });

  it('trades the URL token for an HttpOnly SameSite cookie, then serves with the CSP', async () => {
    const first = await get(host.port, `/?token=${host.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const page = await get(host.port, '/', { Cookie: cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Osler</title>');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin even with the token', async () => {
    expect((await get(host.port, '/', { Cookie: cookie, Host: `evil.example:${host.port}` })).status).toBe(403);
    expect((await get(host.port, '/', { Cookie: cookie, Host: '127.0.0.1:1' })).status).toBe(403);
    expect((await get(host.port, '/', { Cookie: cookie, Origin: 'http://evil.example' })).status).toBe(403);
  });

  it.each(['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%00index.html', '/..\\secret.txt'])(
    'never serves a file outside the renderer folder: %s',
    async (path) => {
      const reply = await get(host.port, path, { Cookie: cookie });
      expect(reply.status).toBe(404);
      expect(reply.body).not.toContain('outside the renderer folder');
    },
  );

  it('refuses methods other than GET and HEAD', async () => {
    const status = await new Promise<number>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/',
          method: 'POST',
          headers: { Host: `127.0.0.1:${host.port}`, Cookie: cookie },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.end('x');
    });
    expect(status).toBe(405);
  });

  it('refuses WebSockets without token, with a wrong token, a foreign or missing Origin, or a foreign Host', async () => {
    const url = `ws://127.0.0.1:${host.port}/api`;
    expect(await openSocket(url, { Origin: origin })).toBe(401);
    expect(await openSocket(url, { Origin: origin, Cookie: `osler_session_${host.port}=bad` })).toBe(403);
    expect(await openSocket(url, { Origin: 'http://evil.example', Cookie: cookie })).toBe(403);
    expect(await openSocket(url, { Cookie: cookie })).toBe(403);
    expect(await openSocket(url, { Origin: origin, Cookie: cookie, Host: `attacker.test:${host.port}` })).toBe(403);
    expect(await openSocket(`ws://127.0.0.1:${host.port}/other`, { Origin: origin, Cookie: cookie })).toBe(404);
  });

  it('answers contract calls over an authenticated WebSocket and refuses malformed ones', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/api`, { Origin: origin, Cookie: cookie });
    if (typeof ws === 'number') throw new Error(`refused with ${ws}`);
    const info = await call(ws, { id: 1, channel: 'app.info', input: {} });
    expect(info.id).toBe(1);
    expect(info.result).toMatchObject({ ok: true, value: { mode: 'browser' } });
    expect((await call(ws, { id: 2, channel: 'app.info', input: { extra: true } })).result).toMatchObject({
      ok: false,
      code: 'invalid-input',
    });
    expect((await call(ws, { id: 3, channel: 'fs.read', input: {} })).result).toMatchObject({
      ok: false,
      code: 'unknown-channel',
    });
    expect((await call(ws, 'not json')).result).toMatchObject({ ok: false, code: 'invalid-input' });
    expect((await call(ws, { channel: 'app.info' })).result).toMatchObject({ ok: false, code: 'invalid-input' });
    ws.close();
  });

  it('binds only the loopback address', async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (!external) return; // no non-loopback interface on this machine: nothing else to reach
    const attempt = await new Promise<string>((resolve) => {
      const req = request({ host: external.address, port: host.port, path: '/' }, () => resolve('connected'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      req.end();
    });
    expect(attempt).toBe('ECONNREFUSED');
  });
});

describe('resolveStatic', () => {
  it('resolves files inside the root and refuses every escape', async () => {
    const { resolveStatic } = await import('../../../native/host/static.js');
    const tmp = tempDir();
    mkdirSync(join(tmp.path, 'r', 'assets'), { recursive: true });
    writeFileSync(join(tmp.path, 'r', 'index.html'), 'x');
    writeFileSync(join(tmp.path, 'r', 'assets', 'a.js'), 'x');
    writeFileSync(join(tmp.path, 'secret'), 'x');
    const root = join(tmp.path, 'r');
    expect((await resolveStatic(root, '/'))?.type).toMatch(/text\/html/);
    expect((await resolveStatic(root, '/assets/a.js'))?.type).toMatch(/javascript/);
    for (const bad of [
      '/../secret',
      '/assets/../../secret',
      '/%2e%2e/secret',
      '/..%5csecret',
      '/%00',
      '/%E0%A4%A',
      '/assets',
    ])
      expect(await resolveStatic(root, bad)).toBeNull();
    tmp.cleanup();
  });
});
