import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../../native/app/core.js';
import { cielabToRgb } from '../../../native/app/services/segmentations.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const ctx = { via: 'cli' as const };

async function call<T>(core: Core, channel: string, input: unknown): Promise<T> {
  const result = await core.dispatch(channel, input, ctx);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value as T;
}

describe('CIELab display colours', () => {
  it('maps white, black and a DICOM red to sRGB', () => {
    expect(cielabToRgb([65535, 32896, 32896])).toEqual([255, 255, 255]);
    expect(cielabToRgb([0, 32896, 32896])).toEqual([0, 0, 0]);
    const [r, g, b] = cielabToRgb([34885, 53485, 50171]);
    expect(r).toBeGreaterThan(180);
    expect(g).toBeLessThan(90);
    expect(b).toBeLessThan(90);
  });
});

describe.skipIf(!data)('DICOM SEG overlays on ct-abdomen-3slice', () => {
  const tmp = tempDir();
  let core: Core;
  let ctSeriesId: number;

  beforeAll(async () => {
    core = createCore({ home: tmp.path, mode: 'cli', log: () => undefined });
    await call(core, 'dicom.import', { paths: [join(data!, 'dicom', 'ct-abdomen-3slice')] });
    const [study] = await call<ChannelOutput<'studies.list'>>(core, 'studies.list', {});
    const series = await call<ChannelOutput<'series.list'>>(core, 'series.list', { studyId: study!.id });
    ctSeriesId = series.find((s) => s.modality === 'CT')!.id;
  });
  afterAll(async () => {
    await core.close();
    tmp.cleanup();
  });

  it('finds the liver SEG for the CT series and places it on its slices', async () => {
    const { segmentations } = await call<ChannelOutput<'overlays.list'>>(core, 'overlays.list', {
      seriesId: ctSeriesId,
    });
    expect(segmentations).toHaveLength(1);
    const seg = await call<ChannelOutput<'seg.get'>>(core, 'seg.get', {
      segInstanceId: segmentations[0]!.instanceId,
      seriesId: ctSeriesId,
    });
    expect(seg.unmatchedFrames).toBe(0);
    expect(seg.segments.length).toBeGreaterThanOrEqual(1);
    expect(seg.segments[0]!.label.toLowerCase()).toContain('liver');
    const total = seg.slices.reduce((n, s) => n + s.voxels, 0);
    expect(total).toBe(seg.segments.reduce((n, s) => n + s.voxels, 0));
    expect(total).toBeGreaterThan(1000);
    for (const s of seg.slices) {
      const { labelmap } = await call<ChannelOutput<'seg.slice'>>(core, 'seg.slice', {
        segInstanceId: seg.segInstanceId,
        seriesId: ctSeriesId,
        sliceIndex: s.sliceIndex,
      });
      expect(labelmap.length).toBe(seg.rows * seg.columns);
      expect(Array.from(labelmap).filter((v) => v !== 0).length).toBe(s.voxels);
    }
  });

  it('answers clear errors for a non-SEG instance or a slice out of range', async () => {
    expect(await core.dispatch('seg.get', { segInstanceId: 1, seriesId: ctSeriesId }, ctx)).toMatchObject({
      ok: false,
      code: 'not-found',
    });
    const { segmentations } = await call<ChannelOutput<'overlays.list'>>(core, 'overlays.list', {
      seriesId: ctSeriesId,
    });
    expect(
      await core.dispatch(
        'seg.slice',
        { segInstanceId: segmentations[0]!.instanceId, seriesId: ctSeriesId, sliceIndex: 3 },
        ctx,
      ),
    ).toMatchObject({ ok: false, code: 'not-found' });
  });
});
