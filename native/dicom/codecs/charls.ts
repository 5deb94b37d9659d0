import { loadNativeAddon, nativeAddonSlot, type NativeAddon } from './nativeAddon.js';

/** A frame decoded by the native addon: samples interleaved, little endian, 1 byte up to 8 bits per sample, else 2. */
export interface CharlsFrame {
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly components: number;
  readonly bitsPerSample: number;
  /** The stream's interleave mode: 0 none (planar, interleaved by the addon), 1 line, 2 sample. */
  readonly interleaveMode: number;
  /** The NEAR parameter: 0 for lossless. */
  readonly nearLossless: number;
}

/**
 * The native CharLS binding (`native/addons/charls`, built by npm's postinstall where libcharls's headers
 * and a C compiler exist). `decode` checks the frame's size against the expected one before decoding and
 * throws an Error starting "charls:" on any failure; it never prints.
 */
export interface CharlsAddon extends NativeAddon {
  decode(encoded: Uint8Array, columns: number, rows: number, components: number): CharlsFrame;
}

/** Where the build puts the addon, relative to the package root (the source tree and the packaged app alike). */
export const CHARLS_ADDON_PATH = 'native/addons/charls/build/Release/osler_charls.node';

const slot = nativeAddonSlot<CharlsAddon>(CHARLS_ADDON_PATH, 'OSLER_JLS_DECODER', ['decode']);

/** Load the addon at `path`; null when it is absent or cannot load (not built, libcharls missing, wrong ABI). */
export function loadCharls(path: string): CharlsAddon | null {
  return loadNativeAddon<CharlsAddon>(path, ['decode']);
}

/**
 * The addon this thread decodes JPEG-LS with, loaded on first use; null means the wasm CharLS is used
 * (addon not built, or `OSLER_JLS_DECODER=wasm` set to force the fallback).
 */
export function charls(): CharlsAddon | null {
  return slot.get();
}

/** For tests: use `addon` in this thread (null forces the wasm decoder; undefined loads the built one again). */
export function setCharlsForTesting(addon: CharlsAddon | null | undefined): void {
  slot.set(addon);
}

/** Which decoder JPEG-LS (.80/.81) frames use in this process, for `osler dicom info`. */
export function jpegLsDecoderName(): string {
  const addon = charls();
  return addon ? `CharLS ${addon.version()} (native addon)` : 'CharLS (wasm, @cornerstonejs/codec-charls)';
}
