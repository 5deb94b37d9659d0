import type { EventName, EventPayload, Handlers } from '../contract/index.js';
import type { StoreHandle } from '../store/database.js';

/** What every handler group gets from the composition root. */
export interface CoreContext {
  /** The data folder. */
  readonly home: string;
  readonly store: StoreHandle;
  /** Pushes a contract event to every connected UI. */
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Logs an operational message (never shown to the renderer). */
  log(message: string): void;
}

/** The handlers of some channels, implemented by one domain's module. */
export type HandlerGroup<K extends keyof Handlers> = Pick<Handlers, K>;
