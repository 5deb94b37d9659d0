import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import { liveCores, PRESENCE_DIR, type OtherCore } from '../../../native/app/presence.js';
import type * as DatabaseModule from '../../../native/store/database.js';
import { tempDir } from '../helpers.js';

/** Run as the store opens (migrations included), before it returns. */
let whileOpening: (() => void) | null = null;

vi.mock('../../../native/store/database.js', async (importOriginal) => {
  const original = await importOriginal<typeof DatabaseModule>();
  return {
    ...original,
    openStore: (...args: Parameters<typeof original.openStore>) => {
      whileOpening?.();
      return original.openStore(...args);
    },
  };
});

describe('a starting core and its presence', () => {
  const tmps: Array<{ cleanup(): void }> = [];
  const cores: Core[] = [];
  afterEach(async () => {
    whileOpening = null;
    for (const c of cores.splice(0)) await c.close().catch(() => undefined);
    tmps.splice(0).forEach((t) => t.cleanup());
  });
  const home = (): string => {
    const t = tempDir('osler-presence-start-');
    tmps.push(t);
    return join(t.path, 'home');
  };

  it('is announced (live to others) while its store opens and migrates', () => {
    const h = home();
    let seen: OtherCore[] | null = null;
    whileOpening = () => (seen = liveCores(h));
    cores.push(createCore({ home: h, mode: 'cli', log: () => undefined, bundledModels: null }));
    expect(seen).toEqual([expect.objectContaining({ state: 'live', info: expect.objectContaining({ mode: 'cli' }) })]);
  });

  it('removes its presence when the store cannot be opened', () => {
    const h = home();
    whileOpening = () => {
      throw new Error('disk on fire');
    };
    expect(() => createCore({ home: h, mode: 'cli', log: () => undefined, bundledModels: null })).toThrow(
      'disk on fire',
    );
    const dir = join(h, PRESENCE_DIR);
    expect(existsSync(dir) ? readdirSync(dir).filter((n) => n !== 'start.lock') : []).toEqual([]);
    expect(liveCores(h)).toEqual([]);
  });
});
