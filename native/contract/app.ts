import { z } from 'zod';

/** How the core is being hosted. `cli` is a command-line process with no UI attached. */
export const hostModeSchema = z.enum(['electron', 'browser', 'cli']);

/** Name and details of the TensorFlow.js backend the core selected at run time. */
export const backendInfoSchema = z.strictObject({
  /** `tensorflow` (tfjs-node), `wasm` or `cpu`; `pending` until selection has finished. */
  name: z.enum(['tensorflow', 'wasm', 'cpu', 'pending']),
  /** Whether the wasm backend runs with SIMD (only meaningful for `wasm`). */
  simd: z.boolean(),
  /** Number of threads the backend computes with. */
  threads: z.number().int().nonnegative(),
  /** Why earlier candidates were skipped, one line each (for example "tfjs-node: not installed"). */
  notes: z.array(z.string()),
});

/** Row counts of what the case store holds. */
export const storeCountsSchema = z.strictObject({
  patients: z.number().int().nonnegative(),
  studies: z.number().int().nonnegative(),
  series: z.number().int().nonnegative(),
  instances: z.number().int().nonnegative(),
  notes: z.number().int().nonnegative(),
  recordings: z.number().int().nonnegative(),
  labels: z.number().int().nonnegative(),
  models: z.number().int().nonnegative(),
  predictions: z.number().int().nonnegative(),
});

/** Answer of `app.info`. */
export const appInfoSchema = z.strictObject({
  /** Osler version (package version). */
  version: z.string(),
  /** The data folder holding the store, managed files and models. */
  home: z.string(),
  mode: hostModeSchema,
  backend: backendInfoSchema,
  counts: storeCountsSchema,
  /** Store schema version (`PRAGMA user_version`). */
  schemaVersion: z.number().int().nonnegative(),
  versions: z.strictObject({
    node: z.string(),
    electron: z.string().nullable(),
    chrome: z.string().nullable(),
    tfjs: z.string(),
    sqlite: z.string(),
  }),
  platform: z.string(),
});

/** One health check's outcome. */
export const healthCheckSchema = z.strictObject({
  name: z.string(),
  ok: z.boolean(),
  detail: z.string(),
});

/** Answer of `app.health`. */
export const appHealthSchema = z.strictObject({
  ok: z.boolean(),
  checks: z.array(healthCheckSchema),
  /** Milliseconds since the core was created. */
  uptimeMs: z.number().nonnegative(),
});

/** An empty input: the channel takes no arguments (callers send `{}`). */
export const noInput = z.strictObject({});

/** Application channels. */
export const appChannels = {
  /** Version, data folder, ML backend, host mode and store counts. */
  'app.info': { input: noInput, output: appInfoSchema },
  /** Liveness and integrity checks of the store, data folder and ML backend. */
  'app.health': { input: noInput, output: appHealthSchema },
} as const;

/** Application events. */
export const appEvents = {
  /** The ML backend finished selection (or failed over to another backend). */
  'app.backend': backendInfoSchema,
} as const;
