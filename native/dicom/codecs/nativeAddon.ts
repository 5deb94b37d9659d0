import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../../app/paths.js';

/** The functions every native decoder addon (`native/addons/<name>`) exports. */
export interface NativeAddon {
  /** The system library's version string, e.g. "2.5.0". */
  version(): string;
}

/**
 * Load the addon at `path`; null when it is absent or cannot load (not built, its system library missing,
 * wrong ABI) or lacks one of the `functions` it must export.
 */
export function loadNativeAddon<T extends NativeAddon>(path: string, functions: readonly (keyof T)[]): T | null {
  try {
    const addon = createRequire(import.meta.url)(path) as Record<keyof T, unknown>;
    return ['version' as keyof T, ...functions].every((f) => typeof addon[f] === 'function') ? (addon as T) : null;
  } catch {
    return null;
  }
}

/** One addon as a thread sees it: loaded on first use, or null when its codec uses the wasm fallback. */
export interface NativeAddonSlot<T extends NativeAddon> {
  /** The addon, loaded on first use in this thread; null when absent or when `forceWasmEnv`=wasm is set. */
  get(): T | null;
  /** For tests: use `addon` in this thread (null forces wasm; undefined loads the built one again). */
  set(addon: T | null | undefined): void;
}

/**
 * A per-thread slot for the addon built at `relativePath` (from the package root: the source tree and the
 * packaged app alike), skipped when the environment variable `forceWasmEnv` is `wasm`.
 */
export function nativeAddonSlot<T extends NativeAddon>(
  relativePath: string,
  forceWasmEnv: string,
  functions: readonly (keyof T)[],
): NativeAddonSlot<T> {
  let current: T | null | undefined;
  return {
    get() {
      if (current === undefined) {
        let path: string | undefined;
        try {
          path = join(packageRoot(import.meta.url), relativePath);
        } catch {
          path = undefined;
        }
        current = process.env[forceWasmEnv] === 'wasm' || path === undefined ? null : loadNativeAddon(path, functions);
      }
      return current;
    },
    set(addon) {
      current = addon;
    },
  };
}
