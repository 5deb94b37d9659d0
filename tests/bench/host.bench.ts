// Browser-mode transport: core start-up time and contract round trips over the WebSocket.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createCore } from '../../native/app/core.js';
import { startHost } from '../../native/host/server.js';

const tmp = mkdtempSync(join(tmpdir(), 'osler-bench-'));
mkdirSync(join(tmp, 'r'));
writeFileSync(join(tmp, 'r', 'index.html'), '<!doctype html>');

let t0 = performance.now();
const core = createCore({ home: join(tmp, 'home'), mode: 'browser', log: () => undefined });
console.log(`core_open: ${(performance.now() - t0).toFixed(1)} ms`);
t0 = performance.now();
const backend = await core.backend();
console.log(`backend_select_${backend.name}: ${(performance.now() - t0).toFixed(1)} ms`);

const host = await startHost({ core, rendererDir: join(tmp, 'r') });
const origin = `http://127.0.0.1:${host.port}`;
const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api`, {
  headers: { Origin: origin, Cookie: `osler_session_${host.port}=${host.token}` },
});
await new Promise((r) => ws.once('open', r));

const pending = new Map<number, () => void>();
ws.on('message', (data) => {
  const m = JSON.parse(data.toString()) as { id: number };
  pending.get(m.id)?.();
  pending.delete(m.id);
});
let id = 0;
const call = (channel: string) =>
  new Promise<void>((resolve) => {
    const n = ++id;
    pending.set(n, resolve);
    ws.send(JSON.stringify({ id: n, channel, input: {} }));
  });

for (let i = 0; i < 200; i++) await call('app.health');
const n = 2000;
t0 = performance.now();
for (let i = 0; i < n; i++) await call('app.health');
const ms = performance.now() - t0;
console.log(`ws_roundtrip_app_health_mean: ${((ms / n) * 1000).toFixed(0)} us`);
t0 = performance.now();
await Promise.all(Array.from({ length: n }, () => call('app.info')));
console.log(`ws_pipelined_app_info: ${((n / (performance.now() - t0)) * 1000).toFixed(0)} calls/s`);

ws.close();
await host.close();
await core.close();
rmSync(tmp, { recursive: true, force: true });
