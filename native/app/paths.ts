import { homedir } from 'node:os';
import { join } from 'node:path';

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

export { packageRoot } from '../runtime/packageRoot.js';
