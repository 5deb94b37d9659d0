import { app, BrowserWindow, ipcMain, protocol, session } from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCore, type Core } from '../native/app/core.js';
import { SECURITY_HEADERS } from '../native/app/security.js';
import { fail } from '../native/contract/result.js';
import { resolveStatic } from '../native/host/static.js';
import { hardenContents, hardenSession } from './hardening.js';
import { APP_ENTRY, APP_SCHEME, IPC_EVENT, IPC_INVOKE, isTrustedSender, mainWindowOptions } from './windowOptions.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const RENDERER_DIR = resolve(HERE, '..', 'renderer');
const PRELOAD = join(HERE, 'preload.cjs');

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

function dataFolder(): string {
  const { values } = parseArgs({
    args: process.argv.slice(1),
    options: { home: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  if (typeof values.home === 'string') return resolve(values.home);
  return process.env.OSLER_HOME ?? app.getPath('userData');
}

async function serveAppFile(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const file = await resolveStatic(RENDERER_DIR, url.pathname);
  if (file === null) return new Response('not found', { status: 404, headers: SECURITY_HEADERS });
  const body = await readFile(file.path);
  return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': file.type } });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow(mainWindowOptions(PRELOAD));
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY);
  return win;
}

async function boot(): Promise<void> {
  await app.whenReady();
  const core: Core = createCore({
    home: dataFolder(),
    mode: 'electron',
    electron: { electron: process.versions.electron ?? '', chrome: process.versions.chrome ?? '' },
  });
  hardenSession(session.defaultSession);
  protocol.handle(APP_SCHEME, serveAppFile);
  app.on('web-contents-created', (_event, contents) => hardenContents(contents));

  ipcMain.handle(IPC_INVOKE, (event, channel: unknown, input: unknown) => {
    if (!isTrustedSender(event)) return fail('unauthorized', 'calls are accepted only from the Osler window');
    return core.dispatch(channel, input, { via: 'electron' });
  });
  core.onAny((name, payload) => {
    for (const win of BrowserWindow.getAllWindows()) win.webContents.send(IPC_EVENT, name, payload);
  });

  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void core.close());
}

if (!app.requestSingleInstanceLock()) app.quit();
else void boot();
