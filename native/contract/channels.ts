import type { z } from 'zod';
import { appChannels, appEvents, type backendInfoSchema, type hostModeSchema, type storeCountsSchema } from './app.js';
import { imagingChannels, imagingEvents } from './imaging.js';
import { caseStoreChannels, caseStoreEvents } from './caseStore.js';
import { modelChannels, modelEvents } from './models.js';

export * from './app.js';
export * from './imaging.js';
export * from './caseStore.js';
export * from './models.js';

/**
 * Every request/response channel: `domain.verb` -> input and output schema. Each domain declares
 * its channels and events in its own file (app.ts, imaging.ts, ...) and is merged here; implement
 * a new channel in `native/app` and both shells expose it.
 */
export const channels = {
  ...appChannels,
  ...imagingChannels,
  ...caseStoreChannels,
  ...modelChannels,
} as const;

/** Every event the core pushes to the UI: name -> payload schema. */
export const events = {
  ...appEvents,
  ...imagingEvents,
  ...caseStoreEvents,
  ...modelEvents,
} as const;

/** A channel name. */
export type ChannelName = keyof typeof channels;
/** An event name. */
export type EventName = keyof typeof events;
/** Input type of a channel (as the caller sends it). */
export type ChannelInput<K extends ChannelName> = z.input<(typeof channels)[K]['input']>;
/** Input type of a channel after validation (as the handler receives it). */
export type ChannelParsedInput<K extends ChannelName> = z.output<(typeof channels)[K]['input']>;
/** Output type of a channel. */
export type ChannelOutput<K extends ChannelName> = z.output<(typeof channels)[K]['output']>;
/** Payload type of an event. */
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/** Channel names as a list (used by the preload allow-list and the binders). */
export const CHANNEL_NAMES = Object.keys(channels) as ChannelName[];
/** Event names as a list. */
export const EVENT_NAMES = Object.keys(events) as EventName[];

/** Whether a value names a contract channel. */
export function isChannelName(value: unknown): value is ChannelName {
  return typeof value === 'string' && Object.hasOwn(channels, value);
}

/** Whether a value names a contract event. */
export function isEventName(value: unknown): value is EventName {
  return typeof value === 'string' && Object.hasOwn(events, value);
}

/** App info type. */
export type AppInfo = ChannelOutput<'app.info'>;
/** Backend info type. */
export type BackendInfo = z.output<typeof backendInfoSchema>;
/** Store counts type. */
export type StoreCounts = z.output<typeof storeCountsSchema>;
/** Host mode type. */
export type HostMode = z.output<typeof hostModeSchema>;
