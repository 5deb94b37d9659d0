import { parentPort, workerData } from 'node:worker_threads';
import { OslerError } from '../../contract/result.js';
import { openStore } from '../../store/database.js';
import type { NotesImportOptions } from '../../text/notesImport.js';
import type { VitalsImportOptions } from '../../vitals/vitalsImport.js';
import { runInProcess, type DicomJobOptions, type ImportKind } from './importRunner.js';

/** What the parent sends when it starts the worker. */
export interface ImportJob {
  readonly kind: ImportKind;
  /** The store file; the worker opens its own connection (WAL lets the parent keep reading). */
  readonly storeFile: string;
  readonly options: NotesImportOptions | VitalsImportOptions | DicomJobOptions;
}

/** Messages from the worker to its parent. */
export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: Record<string, number> }
  | { readonly type: 'done'; readonly summary: unknown }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

async function run(job: ImportJob): Promise<void> {
  const port = parentPort!;
  const controller = new AbortController();
  port.on('message', (m: { type?: string }) => {
    if (m.type === 'cancel') controller.abort();
  });
  const store = openStore(job.storeFile);
  try {
    const hooks = {
      signal: controller.signal,
      onProgress: (progress: object) =>
        port.postMessage({ type: 'progress', progress: progress as Record<string, number> } satisfies WorkerMessage),
    };
    const summary = await runInProcess(store.db, job.kind, job.options, hooks);
    port.postMessage({ type: 'done', summary } satisfies WorkerMessage);
  } catch (error) {
    const code = error instanceof OslerError ? error.code : 'internal';
    const message =
      error instanceof Error
        ? error instanceof OslerError
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    port.postMessage({ type: 'error', code, message } satisfies WorkerMessage);
  } finally {
    store.close();
    port.close();
  }
}

if (parentPort !== null && (workerData as { osler?: ImportJob } | null)?.osler !== undefined) {
  void run((workerData as { osler: ImportJob }).osler);
}
