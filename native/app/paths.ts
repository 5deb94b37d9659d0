import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The default data folder: env `OSLER_HOME`, else the per-user application-data folder
 * (XDG_DATA_HOME on Linux, Application Support on macOS, APPDATA on Windows).
 */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.OSLER_HOME) return env.OSLER_HOME;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Osler');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Osler');
  return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'osler');
}

/**
 * The Osler package root (the folder of its package.json), found by walking up from a module
 * URL. Works from the TypeScript sources, the built bundle and its chunks alike.
 */
export function packageRoot(fromUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        if ((JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'osler') return dir;
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the osler package root');
    dir = parent;
  }
}
