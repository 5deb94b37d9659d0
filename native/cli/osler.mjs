#!/usr/bin/env node
// Entry point of the `osler` command: runs the built CLI, or the TypeScript sources through tsx
// in a development checkout that has not been built yet.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = fileURLToPath(new URL('../../dist/native/cli/main.js', import.meta.url));
let mod;
if (existsSync(built)) {
  mod = await import(pathToFileURL(built).href);
} else {
  try {
    const { tsImport } = await import('tsx/esm/api');
    mod = await tsImport('./main.ts', import.meta.url);
  } catch {
    process.stderr.write('osler: not built yet; run: npm run build\n');
    process.exit(1);
  }
}
process.exitCode = await mod.main(process.argv.slice(2));
