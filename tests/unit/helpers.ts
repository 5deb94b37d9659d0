import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Core } from '../../native/app/core.js';
import type { ChannelInput, ChannelName, ChannelOutput } from '../../native/contract/index.js';

/** The shared real-data folder (env OSLER_DATA, default ../shared/data), or null when absent. */
export function dataDir(): string | null {
  const dir = resolve(process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data'));
  return existsSync(dir) ? dir : null;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'osler-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Calls a channel through a core's dispatcher as the CLI does and returns its value; a failure throws
 * an Error naming the channel, code and message, with the contract's `code` on it.
 */
export async function call<K extends ChannelName>(
  core: Core,
  channel: K,
  input: ChannelInput<K>,
): Promise<ChannelOutput<K>> {
  const result = await core.dispatch(channel, input, { via: 'cli' });
  if (!result.ok)
    throw Object.assign(new Error(`${channel}: ${result.code}: ${result.message}`), { code: result.code });
  return result.value as ChannelOutput<K>;
}

/** The contract code a channel call fails with, or 'ok' when it succeeds. */
export async function failure(core: Core, channel: ChannelName, input: unknown): Promise<string> {
  const result = await core.dispatch(channel, input, { via: 'cli' });
  return result.ok ? 'ok' : result.code;
}
