import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../native/app/core.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { tempDir } from '../helpers.js';

const shipped = join(import.meta.dirname, '..', '..', '..', 'resources', 'models', 'chest-xray-pneumonia');

describe('shipped bundles at start-up', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('installs a bundle once, recognises it later by name and version alone, and refuses a new invalid one', async () => {
    const bundles = join(tmp.path, 'bundles');
    const home = join(tmp.path, 'home');
    cpSync(shipped, join(bundles, 'cxr'), { recursive: true });
    const start = async () => {
      const logged: string[] = [];
      const core = createCore({ home, mode: 'cli', log: (l) => logged.push(l), bundledModels: bundles });
      const r = await core.dispatch('models.list', {}, { via: 'cli' });
      await core.close();
      if (!r.ok) throw new Error(r.message);
      return { logged, models: r.value as ChannelOutput<'models.list'> };
    };
    const first = await start();
    expect(first.models.find((m) => m.name === 'chest-xray-pneumonia')?.versions).toHaveLength(1);
    // The installed copy is what later starts use: the shipped folder's metadata is not validated
    // again (a large text model's costs tens of milliseconds), only its name and version are read.
    const path = join(bundles, 'cxr', 'metadata.json');
    const meta = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(path, JSON.stringify({ ...meta, outputs: 'not a list' }));
    const again = await start();
    expect(again.logged.filter((l) => /not installed/.test(l))).toEqual([]);
    expect(again.models.find((m) => m.name === 'chest-xray-pneumonia')?.versions).toHaveLength(1);
    // A version not installed yet is validated in full and refused with the reason.
    writeFileSync(path, JSON.stringify({ ...meta, version: '9.9.9', outputs: 'not a list' }));
    const third = await start();
    expect(third.logged.join('\n')).toMatch(/model bundle cxr not installed: .*outputs/);
    expect(third.models.find((m) => m.name === 'chest-xray-pneumonia')?.versions).toHaveLength(1);
  });
});
