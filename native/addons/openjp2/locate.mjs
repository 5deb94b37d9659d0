// Prints the compiler or linker flags for libopenjp2 (`node locate.mjs cflags|libs`), for binding.gyp.
// Links the shared library (Debian's libopenjp2.a is built as PIE, not PIC, so it cannot go into a shared
// object): the addon then needs libopenjp2 (Debian: libopenjp2-7) at run time, and simply fails to load
// where it is missing. Flags come from pkg-config, falling back to Debian's paths; a library that cannot
// be found makes this exit non-zero, which fails the (optional) addon build, never `npm ci`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const what = process.argv[2];

function pkgConfig(...args) {
  try {
    return execFileSync('pkg-config', [...args, 'libopenjp2'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

// Debian's flags, used when pkg-config is missing and its header is where Debian puts it.
const DEBIAN = { cflags: '-I/usr/include/openjpeg-2.5', libs: '-lopenjp2' };
if (!Object.hasOwn(DEBIAN, what)) {
  console.error('usage: node locate.mjs cflags|libs');
  process.exit(2);
}
const flags = pkgConfig(`--${what}`) ?? (existsSync('/usr/include/openjpeg-2.5/openjpeg.h') ? DEBIAN[what] : undefined);
if (flags === undefined) {
  console.error('libopenjp2 not found (Debian: apt-get install libopenjp2-7-dev)');
  process.exit(1);
}
console.log(flags);
