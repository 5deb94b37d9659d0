// The optional native decoders under native/addons/<name>/ (each a node-gyp project, binding.gyp +
// src/), shared by build.mjs (builds them) and locate.mjs (finds each one's system library). Each builds
// on its own: one that cannot build leaves its codec on the wasm decoder and the others unaffected.

/**
 * @typedef {object} Addon
 * @property {string} name folder under native/addons/ and the gyp target `osler_<name>`
 * @property {string} codec what it decodes, for the build's one-line report
 * @property {string} fallback the decoder used without it
 * @property {string} pkgConfig the library's pkg-config module
 * @property {string} header a header whose presence stands in for pkg-config (Debian's path)
 * @property {string[]} cflags compiler flags when pkg-config is missing but the header exists
 * @property {string[]} libs linker flags likewise
 * @property {string} debian the Debian package with the headers
 */

/** @type {Addon[]} */
export const ADDONS = [
  {
    name: 'openjp2',
    codec: 'JPEG 2000',
    fallback: 'wasm OpenJPEG',
    pkgConfig: 'libopenjp2',
    header: '/usr/include/openjpeg-2.5/openjpeg.h',
    cflags: ['-I/usr/include/openjpeg-2.5'],
    libs: ['-lopenjp2'],
    debian: 'libopenjp2-7-dev',
  },
  {
    name: 'charls',
    codec: 'JPEG-LS',
    fallback: 'wasm CharLS',
    pkgConfig: 'charls',
    header: '/usr/include/charls/charls.h',
    cflags: [],
    libs: ['-lcharls'],
    debian: 'libcharls-dev',
  },
];
