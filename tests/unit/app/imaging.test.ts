import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const ctx = { via: 'cli' as const };

async function call<T>(core: Core, channel: string, input: unknown): Promise<T> {
  const result = await core.dispatch(channel, input, ctx);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value as T;
}

describe.skipIf(!data)('imaging channels on the real head CT', () => {
  const tmp = tempDir();
  let core: Core;
  const events: unknown[] = [];

  beforeAll(async () => {
    core = createCore({ home: tmp.path, mode: 'cli', log: () => undefined });
    core.on('import.progress', (p) => events.push(p));
    await call(core, 'dicom.import', { paths: [join(data!, 'dicom', 'ct-head-ge')] });
  });
  afterAll(async () => {
    await core.close();
    tmp.cleanup();
  });

  it('reports import progress as events', () => {
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)).toMatchObject({ kind: 'dicom', filesSeen: 28, imported: 28 });
  });

  it('lists the study and its series, and opens the series in spatial order', async () => {
    const studies = await call<ChannelOutput<'studies.list'>>(core, 'studies.list', {});
    expect(studies).toHaveLength(1);
    const series = await call<ChannelOutput<'series.list'>>(core, 'series.list', { studyId: studies[0]!.id });
    expect(series).toHaveLength(1);
    const detail = await call<ChannelOutput<'series.get'>>(core, 'series.get', { seriesId: series[0]!.id });
    expect(detail.frames).toHaveLength(28);
    expect(detail.geometry.sortedBy).toBe('position');
    expect(detail.geometry.issues).toContain('gantry-tilt');
    // Positions increase along the slice normal.
    const n = detail.geometry.normal!;
    const along = detail.frames.map((f) => f.positionMm![0] * n[0] + f.positionMm![1] * n[1] + f.positionMm![2] * n[2]);
    for (let i = 1; i < along.length; i++) expect(along[i]!).toBeGreaterThan(along[i - 1]!);
  });

  it('decodes a frame as a typed array with its rescale, presets and spacing', async () => {
    const [study] = await call<ChannelOutput<'studies.list'>>(core, 'studies.list', {});
    const [series] = await call<ChannelOutput<'series.list'>>(core, 'series.list', { studyId: study!.id });
    const detail = await call<ChannelOutput<'series.get'>>(core, 'series.get', { seriesId: series!.id });
    const middle = detail.frames[14]!;
    const frame = await call<ChannelOutput<'frames.get'>>(core, 'frames.get', {
      instanceId: middle.instanceId,
      frame: 0,
    });
    expect(frame.format).toBe('gray');
    expect(frame.rows).toBe(512);
    expect(frame.pixels.length).toBe(512 * 512);
    expect(ArrayBuffer.isView(frame.pixels)).toBe(true);
    expect(frame.pixelSpacingMm).not.toBeNull();
    expect(frame.spacingSource).toBe('pixel-spacing');
    // Air is about -1000 HU and bone well above +500 in a head CT.
    expect(frame.minValue).toBeLessThan(-900);
    expect(frame.maxValue).toBeGreaterThan(500);
  });

  it('answers not-found for a missing instance or frame, invalid-input for a bad id', async () => {
    expect(await core.dispatch('frames.get', { instanceId: 999999, frame: 0 }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    const [study] = await call<ChannelOutput<'studies.list'>>(core, 'studies.list', {});
    const [series] = await call<ChannelOutput<'series.list'>>(core, 'series.list', { studyId: study!.id });
    const detail = await call<ChannelOutput<'series.get'>>(core, 'series.get', { seriesId: series!.id });
    expect(
      await core.dispatch('frames.get', { instanceId: detail.frames[0]!.instanceId, frame: 5 }, ctx),
    ).toMatchObject({ ok: false, code: 'not-found' });
    expect(await core.dispatch('frames.get', { instanceId: -1, frame: 0 }, ctx)).toMatchObject({
      ok: false,
      code: 'invalid-input',
    });
    expect(await core.dispatch('series.get', { seriesId: 424242 }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    expect(await core.dispatch('dicom.import', { paths: ['/definitely/not/here'] }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    expect(await core.dispatch('dicom.import', { paths: [] }, ctx)).toMatchObject({ ok: false, code: 'invalid-input' });
  });

  it('makes a small preview of the series at its own window', async () => {
    const [study] = await call<ChannelOutput<'studies.list'>>(core, 'studies.list', {});
    const [series] = await call<ChannelOutput<'series.list'>>(core, 'series.list', { studyId: study!.id });
    const thumb = await call<ChannelOutput<'series.thumbnail'>>(core, 'series.thumbnail', {
      seriesId: series!.id,
      size: 64,
    });
    expect(thumb).toMatchObject({ rows: 64, columns: 64, format: 'gray' });
    const px = Array.from(thumb.pixels);
    expect(px).toHaveLength(64 * 64);
    // A head on black: both dark and bright pixels.
    expect(px.filter((v) => v < 20).length).toBeGreaterThan(500);
    expect(px.filter((v) => v > 200).length).toBeGreaterThan(50);
    expect(await core.dispatch('series.thumbnail', { seriesId: series!.id, size: 5000 }, ctx)).toMatchObject({
      ok: false,
      code: 'invalid-input',
    });
  });

  it('audits opening a series', () => {
    const n = core.store.db.prepare("SELECT count(*) AS n FROM audit WHERE action = 'series.get'").get() as {
      n: number;
    };
    expect(n.n).toBeGreaterThan(0);
  });
});
