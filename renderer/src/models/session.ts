import type { OslerApi } from '../../../native/contract/api.js';
import { RegistryState } from './registry.svelte.js';
import { ReviewState } from './review.svelte.js';
import { TrainingState } from './training.svelte.js';

/** The Models screen's state, kept per API so a run survives leaving and re-opening the screen. */
export interface ModelsSession {
  registry: RegistryState;
  training: TrainingState;
  review: ReviewState;
  /** The tab last shown, so coming back to Models (e.g. during a run) returns to it. */
  lastTab: 'overview' | 'retrain' | 'review';
}

const sessions = new WeakMap<OslerApi, ModelsSession>();

/** The one Models session of this API (created on first use). */
export function modelsSession(api: OslerApi): ModelsSession {
  let session = sessions.get(api);
  if (session === undefined) {
    session = {
      registry: new RegistryState(api),
      training: new TrainingState(api),
      review: new ReviewState(api),
      lastTab: 'overview',
    };
    const { registry, training } = session;
    training.onFinished = () => void registry.load();
    sessions.set(api, session);
  }
  return session;
}
