// Prints the compiler or linker flags of an addon's system library (`node ../locate.mjs <addon> cflags|libs`,
// from its binding.gyp). The addons link the shared library (Debian's static libopenjp2.a is built as PIE,
// not PIC, so it cannot go into a shared object; libcharls likewise), so an addon needs the library at run
// time and simply fails to load where it is missing. Flags come from pkg-config, falling back to Debian's
// paths; a library that cannot be found makes this exit non-zero, which fails that (optional) addon's
// build, never `npm ci`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ADDONS } from './addons.mjs';

const [name, what] = process.argv.slice(2);
const addon = ADDONS.find((a) => a.name === name);
if (addon === undefined || (what !== 'cflags' && what !== 'libs')) {
  console.error(`usage: node locate.mjs ${ADDONS.map((a) => a.name).join('|')} cflags|libs`);
  process.exit(2);
}

function pkgConfig(flag) {
  try {
    return execFileSync('pkg-config', [flag, addon.pkgConfig], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

const flags = pkgConfig(what === 'cflags' ? '--cflags' : '--libs');
if (flags !== undefined) console.log(flags);
else if (existsSync(addon.header)) console.log((what === 'cflags' ? addon.cflags : addon.libs).join(' '));
else {
  console.error(`${addon.pkgConfig} not found (Debian: apt-get install ${addon.debian})`);
  process.exit(1);
}
