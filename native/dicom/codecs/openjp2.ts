import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/packageRoot.js';

/** A frame decoded by the native addon: samples interleaved, little endian, 1 byte up to 8 bits of precision, else 2. */
export interface OpenJp2Frame {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly components: number;
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

/** Load the addon at `path`; null when it is absent or cannot load (not built, libopenjp2 missing, wrong ABI). */
export function loadOpenJp2(path: string): OpenJp2Addon | null {
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<OpenJp2Addon>;
    return typeof addon.decode === 'function' && typeof addon.version === 'function' ? (addon as OpenJp2Addon) : null;
  } catch {
    return null;
  }
}

let current: OpenJp2Addon | null | undefined;

/**
 * The addon this thread decodes JPEG 2000 with, loaded on first use; null means the wasm OpenJPEG is used
 * (addon not built, or `OSLER_J2K_DECODER=wasm` set to force the fallback).
 */
export function openJp2(): OpenJp2Addon | null {
  if (current === undefined) {
    let path: string | undefined;
    try {
      path = join(packageRoot(import.meta.url), OPENJP2_ADDON_PATH);
    } catch {
      path = undefined;
    }
    current = process.env.OSLER_J2K_DECODER === 'wasm' || path === undefined ? null : loadOpenJp2(path);
  }
  return current;
}

/** For tests: use `addon` in this thread (null forces the wasm decoder; undefined loads the built one again). */
export function setOpenJp2ForTesting(addon: OpenJp2Addon | null | undefined): void {
  current = addon;
}

/** Which decoder JPEG 2000 (.90/.91) frames use in this process, for `osler dicom info`. */
export function jpeg2000DecoderName(): string {
  const addon = openJp2();
  return addon ? `OpenJPEG ${addon.version()} (native addon)` : 'OpenJPEG (wasm, @cornerstonejs/codec-openjpeg)';
}
