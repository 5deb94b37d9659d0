import type { ChannelOutput, OslerApi } from '../../../native/contract/index.js';
import { timelineDays, type TimelineDay } from './timeline.js';

type PatientRecord = ChannelOutput<'patients.record'>;

/** The patient the record view should open next (set by other sections, e.g. the worklist). */
let pendingPatientKey: string | null = null;

/** Asks the record view to open this patient when it next mounts. */
export function openRecordFor(patientKey: string): void {
  pendingPatientKey = patientKey;
}

/** Takes the pending patient key, if any. */
export function takePendingPatient(): string | null {
  const key = pendingPatientKey;
  pendingPatientKey = null;
  return key;
}

/** One patient's record: loading, the answer, and its timeline grouped by day. */
export class RecordState {
  readonly #api: OslerApi;
  record = $state.raw<PatientRecord | null>(null);
  error = $state<string | null>(null);
  loading = $state(false);
  readonly days: TimelineDay[] = $derived(this.record === null ? [] : timelineDays(this.record));

  constructor(api: OslerApi) {
    this.#api = api;
  }

  /** Loads the record of a patient by key. */
  async open(patientKey: string): Promise<void> {
    const key = patientKey.trim();
    if (key === '') return;
    this.loading = true;
    this.error = null;
    try {
      const answer = await this.#api.invoke('patients.record', { patientKey: key });
      if (answer.ok) this.record = answer.value;
      else {
        this.record = null;
        this.error = answer.message;
      }
    } finally {
      this.loading = false;
    }
  }
}
