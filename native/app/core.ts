import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  createDispatcher,
  type BackendInfo,
  type CallContext,
  type Dispatch,
  type EventName,
  type EventPayload,
  type Handlers,
  type HostMode,
} from '../contract/index.js';
import { OslerError } from '../contract/result.js';
import { countStore } from '../store/counts.js';
import { openStore, type StoreHandle } from '../store/database.js';
import { countRunningTrainingRuns } from '../store/models.js';
import { countPendingFiles, sweepPendingFiles } from '../store/pendingFiles.js';
import type { CoreContext } from './context.js';
import { imagingHandlers } from './handlers/imaging.js';
import { caseStoreHandlers } from './handlers/caseStore.js';
import { modelHandlers } from './handlers/models.js';
import { ModelService } from './services/models.js';
import { packageRoot } from './paths.js';
import { announcePresence, describeCores, type Presence } from './presence.js';
import type { EngineClient } from '../ml/engine/client.js';
import { OSLER_VERSION } from './version.js';

const require = createRequire(import.meta.url);
/** The TensorFlow.js version the engine runs, read without loading TensorFlow.js here. */
const TFJS_VERSION: string = (require('@tensorflow/tfjs/package.json') as { version: string }).version;

/** What the shell tells the core about where it runs. */
export interface CoreOptions {
  /** The data folder: store, managed files, models. Created if missing. */
  readonly home: string;
  readonly mode: HostMode;
  /** Electron and Chrome versions when hosted by Electron. */
  readonly electron?: { readonly electron: string; readonly chrome: string };
  /** Receives unexpected errors for logging (default: stderr). */
  readonly log?: (message: string) => void;
  /**
   * Folder of model bundles to register on start (default: the shipped `resources/models`);
   * null installs none.
   */
  readonly bundledModels?: string | null;
}

/** A running core: the services plus the contract bound to them. */
export interface Core {
  readonly home: string;
  readonly mode: HostMode;
  readonly store: StoreHandle;
  /** Validated entry point for every contract call. */
  readonly dispatch: Dispatch;
  /** Subscribes to a core event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Subscribes to every event (used by the shells to forward them). */
  onAny(listener: (event: EventName, payload: unknown) => void): () => void;
  /** The model registry and runner (the CLI calls it directly for files outside the store). */
  readonly models: ModelService;
  /** Resolves once the ML backend has been selected. */
  backend(): Promise<BackendInfo>;
  close(): Promise<void>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const PENDING_BACKEND: BackendInfo = { name: 'pending', simd: false, threads: 0, notes: [] };

/** The file name of the SQLite case store inside the data folder. */
export const STORE_FILE = 'osler.sqlite';

/**
 * The composition root: opens the store in `home`, starts ML backend selection in the
 * background and binds every contract channel to its service. Crash recovery (see
 * {@link ModelService.recover} and sweepPendingFiles) runs only when no other core, in this or
 * another process, has `home` open: their training runs and imports in flight look exactly like
 * a crash's leftovers.
 */
export function createCore(options: CoreOptions): Core {
  const { home, mode } = options;
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  mkdirSync(home, { recursive: true });
  // Announced before the store opens: migrations write to the folder, and a restore's last check
  // or another start must see this core from then on.
  const presence: Presence = announcePresence(home, mode, log);
  let store: StoreHandle;
  try {
    store = openStore(join(home, STORE_FILE));
  } catch (error) {
    try {
      presence.release();
    } catch (releaseError) {
      log(`osler: presence ${presence.file} not removed (the next start removes it): ${errorText(releaseError)}`);
    }
    throw error;
  }
  const emitter = new EventEmitter();
  const startedAt = performance.now();

  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    emitter.emit(event, payload);
    emitter.emit('*', event, payload);
  };

  let backendInfo: BackendInfo = PENDING_BACKEND;
  let backendError: string | null = null;
  let engine: EngineClient | null = null;
  let engineStart: Promise<BackendInfo> | null = null;
  // TensorFlow.js lives in the ML engine's worker thread, never on this thread (its wasm runtime
  // installs process-wide error handlers). The worker starts on first need and reports the
  // backend it selected there, which is the backend every model runs on.
  const backendReady = (): Promise<BackendInfo> =>
    (engineStart ??= import('../ml/engine/client.js')
      .then(async (m) => {
        engine = await m.EngineClient.start();
        backendInfo = engine.backend;
        emit('app.backend', backendInfo);
        return backendInfo;
      })
      .catch((error: unknown) => {
        backendError = error instanceof Error ? error.message : String(error);
        log(`osler: ML engine unavailable: ${backendError}`);
        return backendInfo;
      }));

  const context: CoreContext = { home, store, emit, log };

  // Training runs get their own engine worker, so predictions and explanations never queue
  // behind a long training job.
  let trainingEngine: Promise<EngineClient> | null = null;
  const startedTraining: EngineClient[] = [];
  const models = new ModelService({
    home,
    store,
    inferenceEngine: async () => {
      await backendReady();
      if (engine === null)
        throw new OslerError('unavailable', `the ML engine is unavailable: ${backendError ?? 'not started'}`);
      return engine;
    },
    trainingEngine: () =>
      (trainingEngine ??= import('../ml/engine/client.js').then(async (m) => {
        const e = await m.EngineClient.start();
        startedTraining.push(e);
        return e;
      })),
    emitProgress: (payload) => emit('models.trainingProgress', payload),
    log,
  });
  try {
    if (presence.others.length === 0) {
      // Managed files a crashed import wrote but never committed a row for.
      // Both sweeps stop at the first sign of another core: one whose start gave up waiting for
      // this one's may announce itself mid-recovery, and its first writes look like leftovers.
      const swept = sweepPendingFiles(store.db, home, presence.othersAppeared);
      const recovered = swept.stopped
        ? { interruptedRuns: 0, removedFolders: [], stopped: true }
        : models.recover(presence.othersAppeared);
      if (recovered.interruptedRuns > 0 || recovered.removedFolders.length > 0)
        log(
          `osler: recovered from an interrupted run: ${recovered.interruptedRuns} training run(s) marked failed, ${recovered.removedFolders.length} unregistered model folder(s) removed`,
        );
      if (recovered.stopped)
        log(
          `osler: crash recovery stopped part way: another Osler process opened ${home} meanwhile (${describeCores(presence.othersNow())}); the rest is cleaned up at the next start with no other Osler process on this folder`,
        );
    } else if (countRunningTrainingRuns(store.db) > 0 || countPendingFiles(store.db) > 0) {
      // Said only when something is left for later, so a CLI command run beside an idle app stays quiet.
      log(
        `osler: crash recovery deferred: ${home} is also open in ${describeCores(presence.others)}; training runs and imports in flight there are left alone, and interrupted ones are cleaned up at the next start with no other Osler process on this folder`,
      );
    }
    // Recovery is over (or declined): the next core may start.
    presence.started();
    const bundled =
      options.bundledModels === undefined
        ? join(packageRoot(import.meta.url), 'resources', 'models')
        : options.bundledModels;
    if (bundled !== null) models.installBundles(bundled);
  } catch (error) {
    try {
      presence.release();
    } catch (releaseError) {
      log(`osler: presence ${presence.file} not removed (the next start removes it): ${errorText(releaseError)}`);
    }
    store.close();
    throw error;
  }

  const handlers: Handlers = {
    ...imagingHandlers(context),
    ...caseStoreHandlers(context),
    ...modelHandlers(context, models),
    'app.info': async () => {
      await backendReady();
      return {
        version: OSLER_VERSION,
        home,
        mode,
        backend: backendInfo,
        counts: countStore(store.db),
        schemaVersion: store.version,
        versions: {
          node: process.versions.node,
          electron: options.electron?.electron ?? null,
          chrome: options.electron?.chrome ?? null,
          tfjs: TFJS_VERSION,
          sqlite: (store.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
        },
        platform: `${process.platform}-${process.arch}`,
      };
    },
    'app.health': async () => {
      const checks = [];
      const integrity = store.db.pragma('quick_check', { simple: true }) as string;
      checks.push({ name: 'store', ok: integrity === 'ok', detail: `quick_check: ${integrity}` });
      let writable = true;
      try {
        accessSync(home, constants.W_OK);
      } catch {
        writable = false;
      }
      // Other Osler processes on the folder are worth knowing (crash clean-up waits for them), not a fault.
      const others = presence.othersNow();
      checks.push({
        name: 'data-folder',
        ok: writable,
        detail:
          (writable ? 'writable' : 'not writable') +
          (others.length > 0 ? `; also open in ${describeCores(others)}` : '; no other Osler process has it open'),
      });
      await backendReady();
      checks.push({
        name: 'ml-backend',
        ok: backendError === null,
        detail: backendError ?? `${backendInfo.name}, ${backendInfo.threads} thread(s)`,
      });
      return {
        ok: checks.every((c) => c.ok),
        checks,
        uptimeMs: performance.now() - startedAt,
      };
    },
  };

  const dispatch = createDispatcher(handlers, {
    onInternalError: (channel, error) =>
      log(`osler: ${channel} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });

  return {
    home,
    mode,
    store,
    dispatch: (channel: unknown, input: unknown, ctx: CallContext = { via: mode }) => dispatch(channel, input, ctx),
    on(event, listener) {
      emitter.on(event, listener as (p: unknown) => void);
      return () => emitter.off(event, listener as (p: unknown) => void);
    },
    onAny(listener) {
      emitter.on('*', listener);
      return () => emitter.off('*', listener);
    },
    models,
    backend: backendReady,
    async close() {
      try {
        try {
          if (engineStart !== null) await engineStart;
          await (engine as EngineClient | null)?.close();
          if (trainingEngine !== null) await trainingEngine.catch(() => undefined);
          for (const e of startedTraining) await e.close();
        } finally {
          emitter.removeAllListeners();
          store.close();
        }
      } finally {
        // Last: until the store is closed this core may still be writing. A failure here is logged,
        // never thrown over the error that is already on its way out.
        try {
          presence.release();
        } catch (error) {
          log(`osler: presence ${presence.file} not removed (the next start removes it): ${errorText(error)}`);
        }
      }
    },
  };
}
