// Builds the optional native decoders listed in addons.mjs (npm's postinstall runs this; `npm run
// build:addons` by hand; `node native/addons/build.mjs charls` builds just the named ones). Each addon
// builds on its own, and nothing here ever fails the install: without a compiler or a library's headers
// that addon is simply absent and its codec decodes with wasm. Prints one line per addon saying which.
// OSLER_SKIP_ADDONS=1 skips them all; OSLER_SKIP_<NAME>=1 (e.g. OSLER_SKIP_CHARLS) skips one.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDONS } from './addons.mjs';

const here = dirname(fileURLToPath(import.meta.url));
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

/** Build one addon; returns its report line. Never throws. */
function build(addon, gyp) {
  const { name, codec, fallback, debian } = addon;
  const notBuilt = (why) =>
    `native ${codec} decoder not built (${why}); ${codec} will decode with ${fallback}` +
    (why.startsWith('OSLER_SKIP') ? '' : `. Install ${debian} and a C compiler, then \`npm run build:addons\`.`);
  if (process.env.OSLER_SKIP_ADDONS === '1') return notBuilt('OSLER_SKIP_ADDONS=1');
  const skip = `OSLER_SKIP_${name.toUpperCase()}`;
  if (process.env[skip] === '1') return notBuilt(`${skip}=1`);
  if (gyp === undefined) return notBuilt('node-gyp not found');
  const dir = join(here, name);
  const args = [gyp, 'rebuild'];
  // Build against the headers of the running Node when it ships them, so no download is needed offline
  // (Node-API is ABI-stable: the same binary loads in Electron).
  const prefix = join(dirname(process.execPath), '..');
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
    args.push(`--nodedir=${prefix}`);
  let r;
  try {
    r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    r = { status: null, stderr: '', error: e };
  }
  if (r.status === 0 && existsSync(join(dir, 'build', 'Release', `osler_${name}.node`)))
    return `native ${codec} decoder built (${addon.pkgConfig}); ${codec} will decode natively`;
  try {
    rmSync(join(dir, 'build'), { recursive: true, force: true });
  } catch {
    // a half-built folder that cannot be removed does no harm: the loader only loads a complete addon
  }
  const why = `${r.stderr ?? ''}${r.error?.message ?? ''}`
    .split('\n')
    .find((l) => /not found|error:|ERR! (stack|configure) Error/.test(l));
  return notBuilt(why ? why.trim().slice(0, 160) : `node-gyp exited with ${r.status ?? r.signal ?? 'an error'}`);
}

function main() {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !ADDONS.some((a) => a.name === w));
  if (unknown.length > 0) say(`no addon named ${unknown.join(', ')} (known: ${ADDONS.map((a) => a.name).join(', ')})`);
  const gyp = nodeGyp();
  for (const addon of ADDONS) {
    if (wanted.length > 0 && !wanted.includes(addon.name)) continue;
    let line;
    try {
      line = build(addon, gyp);
    } catch (e) {
      line = `native ${addon.codec} decoder not built (${String(e).slice(0, 160)}); ${addon.codec} will decode with ${addon.fallback}`;
    }
    say(line);
  }
}

main();
