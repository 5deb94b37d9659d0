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

/** The outcome of loading the addon: the addon, or null and, when it exists but cannot load, why. */
export interface OpenJp2Load {
  readonly addon: OpenJp2Addon | null;
  readonly failure?: string;
}

/**
 * Load the addon at `path`: null when it is absent; when it exists but cannot load (libopenjp2
 * missing on this machine, wrong ABI, not the addon), null with the reason.
 */
export function loadOpenJp2(path: string): OpenJp2Load {
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<OpenJp2Addon>;
    if (typeof addon.decode === 'function' && typeof addon.version === 'function')
      return { addon: addon as OpenJp2Addon };
    return { addon: null, failure: `${path} is not the OpenJPEG addon` };
  } catch (e) {
    if ((e as { code?: string }).code === 'MODULE_NOT_FOUND') return { addon: null };
    return { addon: null, failure: (e instanceof Error ? e.message : String(e)).split('\n')[0] };
  }
}

/** Where this thread loads the addon from: the build output under the package root. */
function builtAddon(): OpenJp2Load {
  let root: string;
  try {
    root = packageRoot(import.meta.url);
  } catch (e) {
    return { addon: null, failure: e instanceof Error ? e.message : String(e) };
  }
  return loadOpenJp2(join(root, OPENJP2_ADDON_PATH));
}

let current: OpenJp2Load | undefined;

function loaded(): OpenJp2Load {
  // A null addon (wasm chosen) is a settled answer too: only undefined loads.
  current ??= process.env.OSLER_J2K_DECODER === 'wasm' ? { addon: null } : builtAddon();
  return current;
}

/**
 * The addon this thread decodes JPEG 2000 with, loaded on first use; null means the wasm OpenJPEG is used
 * (addon not built or not loadable, or `OSLER_J2K_DECODER=wasm` set to force the fallback).
 */
export function openJp2(): OpenJp2Addon | null {
  return loaded().addon;
}

/**
 * For tests: use `addon` in this thread (null forces the wasm decoder; undefined loads the built one
 * again), or the result of loading the addon file at `{ path }`.
 */
export function setOpenJp2ForTesting(addon: OpenJp2Addon | null | undefined | { readonly path: string }): void {
  if (addon === undefined) current = undefined;
  else if (addon !== null && 'path' in addon) current = loadOpenJp2(addon.path);
  else current = { addon };
}

/** Which decoder JPEG 2000 (.90/.91) frames use in this process, for `osler dicom info`. */
export function jpeg2000DecoderName(): string {
  const { addon, failure } = loaded();
  if (addon) return `OpenJPEG ${addon.version()} (native addon)`;
  const why = failure === undefined ? '' : `; native addon failed to load: ${failure}`;
  return `OpenJPEG (wasm, @cornerstonejs/codec-openjpeg${why})`;
}
