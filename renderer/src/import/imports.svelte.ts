import type { OslerApi } from '../../../native/contract/index.js';
import type { ImportProgress, StartInput, StartOutput } from './importForm.js';

export { pathsOf, startInput, summaryOf, type ImportKind, type NotesOptions, type SkipLine } from './importForm.js';

/** The import screen's state: one import at a time, its progress, and its report. */
export class ImportState {
  readonly #api: OslerApi;
  running = $state(false);
  jobId = $state<string | null>(null);
  progress = $state<ImportProgress | null>(null);
  result = $state.raw<StartOutput | null>(null);
  error = $state<string | null>(null);

  constructor(api: OslerApi) {
    this.#api = api;
  }

  /** Runs one import to its end, following its progress events. */
  async start(input: StartInput): Promise<void> {
    if (this.running) return;
    const jobId = input.jobId ?? `ui-${Date.now()}`;
    this.running = true;
    this.jobId = jobId;
    this.progress = { seen: 0, imported: 0, skipped: 0, fraction: null };
    this.result = null;
    this.error = null;
    const offDicom = this.#api.on('import.progress', (p) => {
      if (p.jobId === jobId)
        this.progress = { seen: p.filesSeen, imported: p.imported, skipped: p.skipped, fraction: null };
    });
    const offRecords = this.#api.on('records.importProgress', (p) => {
      if (p.jobId === jobId)
        this.progress = {
          seen: p.records,
          imported: p.inserted + p.updated + p.unchanged,
          skipped: p.failed,
          fraction: p.total > 0 ? Math.min(1, p.done / p.total) : null,
        };
    });
    try {
      const answer = await this.#api.invoke('import.start', { ...input, jobId });
      if (answer.ok) {
        this.result = answer.value;
        // Finished: the bar is full whatever the last progress event said.
        if (this.progress !== null) this.progress = { ...this.progress, fraction: 1 };
      } else this.error = answer.message;
    } finally {
      offDicom();
      offRecords();
      this.running = false;
    }
  }

  /** Stops the running import; what was committed stays. */
  async cancel(): Promise<void> {
    if (this.jobId !== null) await this.#api.invoke('import.cancel', { jobId: this.jobId });
  }
}
