// Builds the optional OpenJPEG addon (npm's postinstall runs this; `npm run build:openjp2` by hand).
// Never fails the install: without a compiler or libopenjp2's headers (Debian: libopenjp2-7-dev) the
// addon is simply absent and JPEG 2000 decodes with the wasm OpenJPEG. Prints one line saying which.
// OSLER_SKIP_OPENJP2=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const addon = join(here, 'build', 'Release', 'osler_openjp2.node');
const say = (line) => console.log(`osler: ${line}`);

function nodeGyp() {
  // npm tells its lifecycle scripts where its bundled node-gyp is; otherwise look beside npm.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
  ];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed as a package
  }
  return candidates.find((c) => c !== undefined && existsSync(c));
}

function main() {
  if (process.env.OSLER_SKIP_OPENJP2 === '1') {
    say('native JPEG 2000 decoder not built (OSLER_SKIP_OPENJP2=1); JPEG 2000 will decode with wasm OpenJPEG');
    return;
  }
  const gyp = nodeGyp();
  if (gyp === undefined) {
    say('native JPEG 2000 decoder not built (node-gyp not found); JPEG 2000 will decode with wasm OpenJPEG');
    return;
  }
  const args = [gyp, 'rebuild'];
  // Build against the headers of the running Node when it ships them, so no download is needed offline
  // (Node-API is ABI-stable: the same binary loads in Electron).
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
    args.push(`--nodedir=${prefix}`);
  const r = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
  if (r.status === 0 && existsSync(addon)) {
    say('native JPEG 2000 decoder built (libopenjp2); JPEG 2000 will decode natively');
    return;
  }
  rmSync(join(here, 'build'), { recursive: true, force: true });
  const why = `${r.stderr ?? ''}${r.error?.message ?? ''}`
    .split('\n')
    .find((l) => /not found|error:|ERR! (stack|configure) Error/.test(l));
  say(
    'native JPEG 2000 decoder not built' +
      (why ? ` (${why.trim().slice(0, 160)})` : '') +
      '; JPEG 2000 will decode with wasm OpenJPEG. Install libopenjp2-7-dev and a C compiler, then `npm run build:openjp2`.',
  );
}

main();
