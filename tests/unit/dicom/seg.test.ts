import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseDicom,
  readRtStruct,
  readSegmentation,
  seriesGeometry,
  sliceGeometryInput,
} from '../../../native/dicom/index.js';
import { dataDir } from '../helpers.js';

const data = dataDir();
const havePydicom = spawnSync('/usr/bin/python3', ['-c', 'import pydicom']).status === 0;

describe.skipIf(!data)('DICOM SEG on ct-abdomen-3slice', () => {
  it.skipIf(!havePydicom)("places each liver frame on its source slice with pydicom's pixels", async () => {
    const dir = join(data!, 'dicom/ct-abdomen-3slice');
    const cts = ['01.dcm', '02.dcm', '03.dcm'].map((f) =>
      parseDicom(readFileSync(join(dir, f)), { untilTag: '7FE00010' }),
    );
    const inputs = cts.map((ds) => sliceGeometryInput(ds, ds.string('SOPInstanceUID')!));
    const order = seriesGeometry(inputs).order;
    const sources = order.map((uid) => ({ sopInstanceUid: uid, geometry: inputs.find((i) => i.id === uid)! }));
    const seg = parseDicom(readFileSync(join(dir, 'liver_seg.dcm')));
    const result = await readSegmentation(seg, sources);
    expect(result.type).toBe('BINARY');
    expect(result.segments.map((s) => s.label)).toEqual(['Liver']);
    expect(result.unmatchedFrames).toEqual([]);

    // Reference: per frame, pydicom's referenced SOP UID and its mask as raw bytes.
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys,json,pydicom,numpy as np;d=pydicom.dcmread(sys.argv[1]);a=d.pixel_array.reshape(-1,d.Rows,d.Columns);' +
          'print(json.dumps([f.DerivationImageSequence[0].SourceImageSequence[0].ReferencedSOPInstanceUID for f in d.PerFrameFunctionalGroupsSequence]));' +
          'sys.stdout.flush();sys.stdout.buffer.write(a.astype("u1").tobytes())',
        join(dir, 'liver_seg.dcm'),
      ],
      { maxBuffer: 16 << 20 },
    );
    expect(py.status).toBe(0);
    const nl = py.stdout.indexOf(10);
    const refUids = JSON.parse(py.stdout.subarray(0, nl).toString()) as string[];
    const refMasks = py.stdout.subarray(nl + 1);
    const size = result.rows * result.columns;
    const mask = result.masks.get(1)!;
    let total = 0;
    refUids.forEach((uid, f) => {
      const slice = order.indexOf(uid);
      expect(result.frames[f]).toMatchObject({ sliceIndex: slice, matchedBy: 'referenced-sop' });
      const ours = mask.subarray(slice * size, (slice + 1) * size);
      const ref = refMasks.subarray(f * size, (f + 1) * size);
      expect(Buffer.from(ours).equals(Buffer.from(ref))).toBe(true);
      total += ref.reduce((n, v) => n + v, 0);
    });
    expect(total).toBeGreaterThan(1000);

    // Without SOP references the Plane Position must find the same slices.
    const byPosition = await readSegmentation(
      seg,
      sources.map((s) => ({ sopInstanceUid: `other-${s.sopInstanceUid}`, geometry: s.geometry })),
    );
    expect(byPosition.frames.map((f) => f.sliceIndex)).toEqual(result.frames.map((f) => f.sliceIndex));
    expect(byPosition.frames.every((f) => f.matchedBy === 'position')).toBe(true);
  });
});

describe.skipIf(!data)('RTSTRUCT', () => {
  it('reads ROI contours as polygons in patient coordinates', () => {
    const ds = parseDicom(readFileSync(join(data!, 'dicom/ct-phantom-rtstruct/rtstruct.dcm')));
    const rois = readRtStruct(ds);
    expect(rois.length).toBeGreaterThan(0);
    const contours = rois.flatMap((r) => r.contours);
    expect(contours.length).toBeGreaterThan(0);
    for (const c of contours) {
      expect(c.pointsMm.length % 3).toBe(0);
      expect(c.pointsMm.every(Number.isFinite)).toBe(true);
    }
    expect(rois.every((r) => typeof r.name === 'string')).toBe(true);
  });
});
