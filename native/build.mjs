// Compiles the core, the CLI and the Electron shell to dist/ with esbuild. Dependencies stay
// external (node_modules ships beside dist/); dynamic imports become chunks so heavy modules
// (TensorFlow.js) load only when used.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
};

rmSync(`${root}/dist/native`, { recursive: true, force: true });
rmSync(`${root}/dist/electron`, { recursive: true, force: true });
rmSync(`${root}/dist/chunks`, { recursive: true, force: true });

await build({
  ...common,
  entryPoints: [
    'native/cli/main.ts',
    'electron/main.ts',
    'native/ml/engine/worker.ts',
    'native/app/handlers/importWorker.ts',
    'native/dicom/codecs/codecWorker.ts',
  ],
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  packages: 'external',
  external: ['electron'],
});

// A sandboxed preload cannot load modules: it is one self-contained CommonJS file.
await build({
  ...common,
  entryPoints: ['electron/preload.ts'],
  outfile: 'dist/electron/preload.cjs',
  format: 'cjs',
  external: ['electron'],
});
