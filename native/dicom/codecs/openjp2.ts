import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/packageRoot.js';

/** A frame decoded by the native addon: samples interleaved, little endian, 1 byte up to 8 bits of precision, else 2. */
export interface OpenJp2Frame {
  readonly bytes: Uint8Array;
  readonly bitsPerSample: number;
  readonly isSigned: boolean;
}

/**
 * The native OpenJPEG binding (`native/addons/openjp2`, built by npm's postinstall where libopenjp2's
 * headers and a C compiler exist). `decode` checks the codestream's size against the expected one before
 * decoding and throws an Error starting "openjp2:" on any failure; it never prints.
 */
export interface OpenJp2Addon {
  decode(encoded: Uint8Array, columns: number, rows: number, components: number): OpenJp2Frame;
  /** OpenJPEG's version string, e.g. "2.5.0". */
  version(): string;
}

/** Where the build puts the addon, relative to the package root (the source tree and the packaged app alike). */
export const OPENJP2_ADDON_PATH = 'native/addons/openjp2/build/Release/osler_openjp2.node';

/** Why the built addon did not load (not set when it is simply not built). */
let loadFailure: string | undefined;

/**
 * Load the addon at `path`; null when it is absent or cannot load. An addon that exists but fails to
 * load (libopenjp2 missing on this machine, wrong ABI) leaves its reason for jpeg2000DecoderName.
 */
export function loadOpenJp2(path: string): OpenJp2Addon | null {
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<OpenJp2Addon>;
    if (typeof addon.decode === 'function' && typeof addon.version === 'function') return addon as OpenJp2Addon;
    loadFailure = `${path} is not the OpenJPEG addon`;
  } catch (e) {
    if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND')
      loadFailure = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
  return null;
}

let current: OpenJp2Addon | null | undefined;

/**
 * The addon this thread decodes JPEG 2000 with, loaded on first use; null means the wasm OpenJPEG is used
 * (addon not built or not loadable, or `OSLER_J2K_DECODER=wasm` set to force the fallback).
 */
export function openJp2(): OpenJp2Addon | null {
  // null (wasm chosen) is a settled answer too: only undefined loads.
  if (current === undefined)
    current =
      process.env.OSLER_J2K_DECODER === 'wasm'
        ? null
        : loadOpenJp2(join(packageRoot(import.meta.url), OPENJP2_ADDON_PATH));
  return current;
}

/** For tests: use `addon` in this thread (null forces the wasm decoder; undefined loads the built one again). */
export function setOpenJp2ForTesting(addon: OpenJp2Addon | null | undefined): void {
  current = addon;
}

/** Which decoder JPEG 2000 (.90/.91) frames use in this process, for `osler dicom info`. */
export function jpeg2000DecoderName(): string {
  const addon = openJp2();
  if (addon) return `OpenJPEG ${addon.version()} (native addon)`;
  const why =
    process.env.OSLER_J2K_DECODER !== 'wasm' && loadFailure ? `; native addon failed to load: ${loadFailure}` : '';
  return `OpenJPEG (wasm, @cornerstonejs/codec-openjpeg${why})`;
}
