import { Worker } from 'node:worker_threads';
import { OslerError, type ErrorCode } from '../../contract/result.js';
import type Database from 'better-sqlite3';
import { importNotes, type NotesImportOptions, type NotesImportSummary } from '../../text/notesImport.js';
import { importVitals, type VitalsImportOptions, type VitalsImportSummary } from '../../vitals/vitalsImport.js';
import { importDicom, type DicomImportReport } from '../../store/dicomImport.js';
import { workerScript, type WorkerScript } from '../../runtime/workerScript.js';
import type { ImportJob, WorkerMessage } from './importWorker.js';

/** What a DICOM import job needs (the worker opens its own store connection). */
export interface DicomJobOptions {
  readonly home: string;
  readonly sources: readonly string[];
  readonly actor: string;
}

/** Kinds of import a worker runs. */
export type ImportKind = 'notes' | 'vitals' | 'dicom';

type OptionsOf<K extends ImportKind> = K extends 'notes'
  ? NotesImportOptions
  : K extends 'vitals'
    ? VitalsImportOptions
    : DicomJobOptions;

/** How to run an import. */
export interface RunImportOptions<K extends ImportKind> {
  readonly kind: K;
  readonly options: OptionsOf<K>;
  readonly onProgress?: (progress: Record<string, number>) => void;
  readonly signal?: AbortSignal;
}

type SummaryOf<K> = K extends 'notes'
  ? NotesImportSummary
  : K extends 'vitals'
    ? VitalsImportSummary
    : DicomImportReport;

/** Runs an import on this thread (no worker script, or an in-memory store). */
export function runInProcess(
  db: Database.Database,
  kind: ImportKind,
  options: NotesImportOptions | VitalsImportOptions | DicomJobOptions,
  hooks: { onProgress?: (p: object) => void; signal?: AbortSignal },
): Promise<unknown> {
  if (kind === 'notes') return importNotes(db, options as NotesImportOptions, hooks);
  if (kind === 'vitals') return importVitals(db, options as VitalsImportOptions, hooks);
  const d = options as DicomJobOptions;
  return importDicom(db, d.home, d.sources, {
    actor: d.actor,
    ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
}

/** The import worker's entry (see {@link workerScript}). */
function importWorkerScript(): WorkerScript | null {
  return workerScript(import.meta.url, 'importWorker.ts', 'native/app/handlers/importWorker.js');
}

/** Whether imports can run in a worker here (the bundled build may not ship the worker script). */
export function workerAvailable(): boolean {
  return importWorkerScript() !== null;
}

/**
 * Runs an import in a `worker_threads` worker with its own SQLite connection, so the calling
 * thread (IPC, other calls) stays responsive; progress arrives through `onProgress`, `signal`
 * cancels (batches already committed stay). Falls back to running in-process on `db` when no
 * worker script is available.
 */
export function runImport<K extends ImportKind>(
  storeFile: string,
  db: Database.Database,
  run: RunImportOptions<K>,
): Promise<SummaryOf<K>> {
  const script = importWorkerScript();
  if (script === null || storeFile === ':memory:') {
    const hooks = { onProgress: run.onProgress as (p: object) => void, ...(run.signal ? { signal: run.signal } : {}) };
    return runInProcess(db, run.kind, run.options, hooks) as Promise<SummaryOf<K>>;
  }
  return new Promise((resolvePromise, reject) => {
    const job: ImportJob = { kind: run.kind, storeFile, options: run.options };
    const worker = new Worker(script.spec, { workerData: { osler: job }, eval: script.eval });
    let settled = false;
    const onAbort = () => worker.postMessage({ type: 'cancel' });
    run.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      run.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') run.onProgress?.(m.progress);
      else if (m.type === 'done') finish(() => resolvePromise(m.summary as SummaryOf<K>));
      else
        finish(() =>
          reject(m.code === 'internal' ? new Error(m.message) : new OslerError(m.code as ErrorCode, m.message)),
        );
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`import worker exited with code ${code}`))));
  });
}
