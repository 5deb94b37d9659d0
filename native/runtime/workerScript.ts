import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from '../app/paths.js';

/** How to start a worker: a script URL, or (from the TypeScript sources) bootstrap code run with `eval`. */
export interface WorkerScript {
  readonly spec: string | URL;
  readonly eval: boolean;
}

/**
 * How to start the worker entry `tsName` (a .ts file beside the module at `self`), whose bundled
 * build is `dist/<builtPath>`; null when that file is absent (a bundle that does not ship it).
 * From the TypeScript sources (tsx, vitest) the worker loads the entry through tsx's `tsImport`:
 * `execArgv: ['--import', 'tsx']` does not register tsx's hooks in a worker on Node 20.
 */
export function workerScript(self: string, tsName: string, builtPath: string): WorkerScript | null {
  const ts = self.endsWith('.ts');
  // The bundle puts the calling module in a chunk, but a worker entry keeps its source path under dist/.
  const url = ts ? new URL(`./${tsName}`, self) : pathToFileURL(join(packageRoot(self), 'dist', builtPath));
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return null;
  if (!ts) return { spec: url, eval: false };
  let api: string;
  try {
    // The package's `import` entry (the `require` one breaks when loaded with import()).
    api = pathToFileURL(
      createRequire(self)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
  } catch {
    return null;
  }
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(self)}))`;
  return { spec: code, eval: true };
}
