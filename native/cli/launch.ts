import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Where the Electron binary is, or why it is not usable. */
export type ElectronLocation =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

function electronPackageDir(): string | null {
  try {
    return dirname(require.resolve('electron/package.json'));
  } catch {
    return null;
  }
}

/**
 * Finds the Electron binary without triggering a download (the `electron` package's own entry
 * point downloads on first use, which blocks for minutes on a slow or absent network).
 */
export function findElectron(): ElectronLocation {
  const dir = electronPackageDir();
  if (dir === null) return { ok: false, reason: 'the electron package is not installed' };
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { ok: false, reason: 'the Electron binary has not been downloaded' };
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { ok: true, path: binary } : { ok: false, reason: `missing ${binary}` };
}

/** Tries the electron package's lazy download once, with a time limit. */
export function downloadElectron(timeoutMs = 180_000): ElectronLocation {
  const dir = electronPackageDir();
  if (dir === null) return { ok: false, reason: 'the electron package is not installed' };
  const result = spawnSync(process.execPath, [join(dir, 'install.js')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: timeoutMs,
  });
  if (result.status !== 0) {
    const lines = (result.stderr?.toString() ?? '').split('\n').filter((l) => /error/i.test(l));
    const why = result.error ? result.error.message : (lines[0]?.trim() ?? `exit code ${result.status}`);
    return { ok: false, reason: `the Electron binary could not be downloaded (${why.slice(0, 160)})` };
  }
  return findElectron();
}

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** A Chromium-family browser on this machine, or null. */
export function findChromium(): string | null {
  const fromEnv = process.env.OSLER_CHROMIUM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

/** Whether a graphical display is available to open a window on. */
export function hasDisplay(): boolean {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

/**
 * Opens Chromium in app mode on the URL, with its own profile inside the data folder and none
 * of its background network traffic (the workstation is offline by design).
 */
export function openChromiumApp(chromium: string, url: string, profileDir: string): void {
  const flags = [
    `--app=${url}`,
    `--user-data-dir=${profileDir}`,
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-default-apps',
  ];
  if (process.getuid?.() === 0) flags.push('--no-sandbox');
  const child = spawn(chromium, flags, { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

/** Starts the Electron shell on the built main script, forwarding signals and exit code. */
export function runElectron(binary: string, appDir: string, args: readonly string[]): Promise<number> {
  return new Promise((resolvePromise) => {
    const child = spawn(binary, [appDir, ...args], { stdio: 'inherit' });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
    child.on('exit', (code) => resolvePromise(code ?? 1));
    child.on('error', () => resolvePromise(1));
  });
}
