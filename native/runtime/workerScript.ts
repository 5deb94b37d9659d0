import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from './packageRoot.js';

/** How to start a worker: a script URL, or (from the TypeScript sources) bootstrap code run with `eval`. */
export interface WorkerScript {
  readonly spec: string | URL;
  readonly eval: boolean;
}

/**
 * Bootstrap code that loads the TypeScript worker entry `entry` through tsx's `tsImport`:
 * `execArgv: ['--import', 'tsx']` does not register tsx's hooks in a worker on Node 20 ("Unknown
 * file extension .ts"). Null when tsx is not installed (a packaged app runs the bundle instead).
 */
function tsxBootstrap(entry: URL, parent: string): string | null {
  let api: string;
  try {
    // The ESM build of tsx/esm/api, found through tsx's own exports map (require.resolve would give
    // the CommonJS build, which cannot be import()ed).
    const manifest = createRequire(parent).resolve('tsx/package.json');
    const exportsMap = (
      JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }
    ).exports;
    api = pathToFileURL(join(dirname(manifest), exportsMap['./esm/api']!.import.default)).href;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') return null;
    // tsx is there but not as expected (its exports map changed): say so rather than "entry not found".
    throw new Error(
      `cannot start ${entry.pathname} through tsx: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return `import(${JSON.stringify(api)}).then((m) => (m.tsImport ? m : m.default).tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(parent)}))`;
}

/** How to start a worker from an entry file: a .ts one through tsx, anything else as it is. */
function workerScriptFor(path: string): WorkerScript | null {
  const url = pathToFileURL(path);
  if (!path.endsWith('.ts')) return { spec: url, eval: false };
  const code = tsxBootstrap(url, url.href);
  return code === null ? null : { spec: code, eval: true };
}

/**
 * How to start the worker entry `tsName` (a .ts file beside the module at `self`), whose bundled
 * build is `dist/<builtPath>`; null when that file is absent (a bundle that does not ship it).
 */
export function workerScript(self: string, tsName: string, builtPath: string): WorkerScript | null {
  const ts = self.endsWith('.ts');
  // The bundle puts the calling module in a chunk, but a worker entry keeps its source path under dist/.
  const url = ts ? new URL(`./${tsName}`, self) : pathToFileURL(join(packageRoot(self), 'dist', builtPath));
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return null;
  return workerScriptFor(fileURLToPath(url));
}
