import type { OslerApi } from '../../../native/contract/api.js';
import { NotePredictionState } from '../notes/notePrediction.svelte.js';
import { NoteTriageState } from '../notes/notes.svelte.js';
import { WorklistState } from './worklist.svelte.js';

/** What the worklist hands to the note view when a note is opened. */
export interface NoteIntent {
  readonly id: number;
  /** The full-text query active when it was opened, for highlighting. */
  readonly query: string;
}

/**
 * State shared by the worklist and note sections for one connection, kept across section
 * switches so filters, scroll position and label changes survive navigation.
 */
export interface CaseSession {
  readonly worklist: WorklistState;
  /** Note triage; its corrections update the worklist rows. */
  readonly triage: NoteTriageState;
  /** The model's reading of the open note; new predictions update the worklist's scores. */
  readonly prediction: NotePredictionState;
  /** The note to show next time the note view mounts. */
  note: NoteIntent | null;
}

const sessions = new WeakMap<OslerApi, CaseSession>();

/** The case session of `api`, created on first use. */
export function caseSession(api: OslerApi): CaseSession {
  let session = sessions.get(api);
  if (!session) {
    const worklist = new WorklistState(api);
    const triage = new NoteTriageState(api, (id, state) => worklist.setLabelState('note', id, state));
    const prediction = new NotePredictionState(api, (id, p) => {
      if (p.score !== null) worklist.setPriority('note', id, p.score, { name: p.modelName, version: p.modelVersion });
    });
    session = { worklist, triage, prediction, note: null };
    sessions.set(api, session);
  }
  return session;
}
