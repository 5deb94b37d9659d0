import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import { main, type Io } from '../../../native/cli/main.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { RANKED_MATCHES_MAX } from '../../../native/store/notes.js';
import { tempDir } from '../helpers.js';

const ctx = { via: 'cli' as const };
const NOTES = RANKED_MATCHES_MAX + 150;

async function search(core: Core, query: string): Promise<ChannelOutput<'notes.search'>> {
  const r = await core.dispatch('notes.search', { query, limit: 5 }, ctx);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
  return r.value as ChannelOutput<'notes.search'>;
}

/**
 * A term in more notes than the store ranks by relevance: the contract says how many were
 * ranked, and the CLI tells the user (the worklist screen shows the same from `ranked`).
 */
describe('notes.search over a very common term', () => {
  const tmp = tempDir();
  const home = join(tmp.path, 'home');
  let core: Core;

  beforeAll(async () => {
    const csv = join(tmp.path, 'common.csv');
    const rows = Array.from(
      { length: NOTES },
      (_, i) => `${i},"patient seen on ward ${i % 7 === 0 ? 'zebra' : 'round'}"`,
    );
    writeFileSync(csv, `id,text\n${rows.join('\n')}\n`);
    core = createCore({ home, mode: 'cli', log: () => undefined, bundledModels: null });
    const r = await core.dispatch('notes.import', { path: csv }, ctx);
    if (!r.ok) throw new Error(r.message);
  }, 120_000);

  afterAll(async () => {
    await core.close();
    tmp.cleanup();
  });

  it('reports the bounded ranking in `ranked`, with the exact total', async () => {
    const r = await search(core, 'patient');
    expect(r.total).toBe(NOTES);
    expect(r.ranked).toBe(RANKED_MATCHES_MAX);
    expect(r.hits).toHaveLength(5);
  });

  it('ranks everything for rarer terms and for OR queries', async () => {
    const rare = await search(core, 'zebra');
    expect(rare.ranked).toBe(rare.total);
    const either = await search(core, 'patient OR zebra');
    expect(either.total).toBe(NOTES);
    expect(either.ranked).toBe(NOTES);
  });

  it('osler search says which matches were ranked', async () => {
    await core.close();
    const out: string[] = [];
    const io: Io = { out: (t) => out.push(t), err: () => undefined };
    expect(await main(['search', 'patient', '--limit', '2', '--home', home], io)).toBe(0);
    expect(out[0]).toBe(
      `${NOTES} note(s) match (the ${RANKED_MATCHES_MAX} most recently added ranked by relevance, the rest newest first)`,
    );
    out.length = 0;
    expect(await main(['search', 'zebra', '--limit', '2', '--home', home], io)).toBe(0);
    expect(out[0]).toMatch(/^\d+ note\(s\) match$/);
    core = createCore({ home, mode: 'cli', log: () => undefined, bundledModels: null });
  });
});
