import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const ctx = { via: 'browser' as const };

describe.skipIf(!data)('annotations channels', () => {
  const tmp = tempDir();
  let core: Core;
  let seriesId: number;

  beforeAll(async () => {
    core = createCore({ home: tmp.path, mode: 'cli', log: () => undefined });
    const r = await core.dispatch('dicom.import', { paths: [join(data!, 'dicom', 'ct-tiny-series')] }, ctx);
    seriesId = (r as { ok: true; value: ChannelOutput<'dicom.import'> }).value.seriesIds[0]!;
  });
  afterAll(async () => {
    await core.close();
    tmp.cleanup();
  });

  it('saves, lists, updates and deletes a measurement with who and when, audited', async () => {
    const data = {
      annotationUID: 'u1',
      metadata: { toolName: 'Length', referencedImageId: 'osler:1:0' },
      data: {
        handles: {
          points: [
            [0, 0, 0],
            [10, 0, 0],
          ],
        },
      },
    };
    const saved = await core.dispatch('annotations.save', { seriesId, kind: 'Length', data }, ctx);
    expect(saved).toMatchObject({
      ok: true,
      value: { kind: 'Length', author: expect.stringMatching(/@browser$/), targetKind: 'series', targetId: seriesId },
    });
    const id = (saved as { value: { id: number } }).value.id;
    const listed = await core.dispatch('annotations.list', { seriesId }, ctx);
    expect(listed).toMatchObject({ ok: true, value: [{ id, data }] });
    const changed = {
      ...data,
      data: {
        handles: {
          points: [
            [0, 0, 0],
            [20, 0, 0],
          ],
        },
      },
    };
    expect(await core.dispatch('annotations.update', { id, data: changed }, ctx)).toMatchObject({ ok: true });
    expect(await core.dispatch('annotations.list', { seriesId }, ctx)).toMatchObject({
      ok: true,
      value: [{ data: changed }],
    });
    expect(await core.dispatch('annotations.delete', { id }, ctx)).toMatchObject({ ok: true });
    expect(await core.dispatch('annotations.list', { seriesId }, ctx)).toEqual({ ok: true, value: [] });
    const audit = core.store.db.prepare("SELECT action FROM audit WHERE action LIKE 'annotations.%' ORDER BY id").all();
    // Reads of the measurements are audited too.
    expect(audit).toEqual([
      { action: 'annotations.save' },
      { action: 'annotations.list' },
      { action: 'annotations.update' },
      { action: 'annotations.list' },
      { action: 'annotations.delete' },
      { action: 'annotations.list' },
    ]);
  });

  it('refuses unknown series and annotations and malformed data', async () => {
    expect(await core.dispatch('annotations.save', { seriesId: 99999, kind: 'Length', data: {} }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    expect(await core.dispatch('annotations.delete', { id: 99999 }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    expect(await core.dispatch('annotations.update', { id: 99999, data: {} }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    expect(await core.dispatch('annotations.save', { seriesId, kind: 'Length', data: 'x' }, ctx)).toMatchObject({
      ok: false,
      code: 'invalid-input',
    });
    expect(await core.dispatch('annotations.save', { seriesId, kind: '', data: {} }, ctx)).toMatchObject({
      ok: false,
      code: 'invalid-input',
    });
  });
});
