import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyWindow,
  decodeFrame,
  decodeFrameRaw,
  dicomInfo,
  displayFrame,
  modalityValues,
  parseDicom,
  windowPresets,
} from '../../../native/dicom/index.js';
import { dataDir } from '../helpers.js';

const data = dataDir();
const havePydicom = spawnSync('/usr/bin/python3', ['-c', 'import pydicom']).status === 0;

describe('VOI window functions (PS3.3 C.11.2.1.2)', () => {
  const xs = [-1000, 0, 39, 40, 41, 80, 239.5, 240, 1000];
  const w = { center: 40, width: 400 };
  it('LINEAR', () => {
    const out = new Uint8Array(xs.length);
    applyWindow(xs, out, w, 'LINEAR');
    expect(out[0]).toBe(0);
    expect(out[out.length - 1]).toBe(255);
    expect(out[3]).toBe(Math.round(((40 - 39.5) / 399 + 0.5) * 255));
  });
  it('LINEAR_EXACT', () => {
    const out = new Uint8Array(xs.length);
    applyWindow(xs, out, w, 'LINEAR_EXACT');
    expect(out[3]).toBe(128);
    expect(out[7]).toBe(255);
  });
  it('SIGMOID', () => {
    const out = new Uint8Array(xs.length);
    applyWindow(xs, out, w, 'SIGMOID');
    expect(out[3]).toBe(128);
    expect(out[0]).toBe(0);
    expect(out[8]).toBe(255);
  });
  it('MONOCHROME1 inverts', () => {
    const a = new Uint8Array(1);
    const b = new Uint8Array(1);
    applyWindow([100], a, w, 'LINEAR');
    applyWindow([100], b, w, 'LINEAR', true);
    expect(a[0]! + b[0]!).toBe(255);
  });
});

describe.skipIf(!data)('pixel pipeline on real files', () => {
  it.skipIf(!havePydicom)('head CT Hounsfield units equal pydicom apply_modality_lut', async () => {
    const file = join(data!, 'dicom/ct-head-ge/14.dcm');
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys,pydicom,numpy as np;from pydicom.pixel_data_handlers.util import apply_modality_lut as m;d=pydicom.dcmread(sys.argv[1]);sys.stdout.buffer.write(m(d.pixel_array,d).astype("<f4").tobytes())',
        file,
      ],
      { maxBuffer: 8 << 20 },
    );
    expect(py.status).toBe(0);
    const ref = new Float32Array(py.stdout.buffer.slice(py.stdout.byteOffset, py.stdout.byteOffset + py.stdout.length));
    const ds = parseDicom(readFileSync(file));
    const hu = modalityValues(ds, await decodeFrame(ds, 0));
    expect(hu.length).toBe(ref.length);
    let maxDiff = 0;
    for (let i = 0; i < hu.length; i++) maxDiff = Math.max(maxDiff, Math.abs(hu[i]! - ref[i]!));
    expect(maxDiff).toBe(0);
    // Air, brain and bone where a head CT has them.
    const sorted = Float32Array.from(hu).sort();
    expect(sorted[Math.floor(sorted.length * 0.01)]!).toBeLessThan(-900);
    expect(sorted[sorted.length - 1]!).toBeGreaterThan(1000);
  });

  it('window presets, display and the CLI raw output agree', async () => {
    const ds = parseDicom(readFileSync(join(data!, 'dicom/ct-head-ge/14.dcm')));
    const presets = windowPresets(ds);
    expect(presets.length).toBeGreaterThan(0);
    const frame = await decodeFrame(ds, 0);
    const img = displayFrame(ds, frame, 0);
    expect(img.channels).toBe(1);
    expect(img.data.length).toBe(512 * 512);
    expect(img.window).toEqual(presets[0]);
    const rgba = displayFrame(ds, frame, 0, { window: { center: 40, width: 80 }, rgba: true });
    expect(rgba.data.length).toBe(512 * 512 * 4);
    const raw = await decodeFrameRaw(ds, 0, 'stored');
    expect(raw.summary).toMatchObject({ rows: 512, cols: 512, samplesPerPixel: 1, dtype: 'int16' });
    expect(raw.summary.md5).toMatch(/^[0-9a-f]{32}$/);
    const hu = await decodeFrameRaw(ds, 0, 'modality');
    expect(hu.summary.dtype).toBe('float32');
    const info = dicomInfo(ds);
    expect(info).toMatchObject({ modality: 'CT', rows: 512, columns: 512, frames: 1, bitsAllocated: 16 });
    expect(info.geometry.gantryDetectorTiltDeg).toBe(18.5);
  });

  it('colour: RGB ultrasound (native and JPEG baseline) displays as RGBA; frames are independent', async () => {
    const a = parseDicom(readFileSync(join(data!, 'dicom/dicomparser-samples/US_doppler_8frame_implicitLE.dcm')));
    const b = parseDicom(readFileSync(join(data!, 'dicom/dicomparser-samples/US_doppler_8frame_jpeg_baseline_50.dcm')));
    for (const f of [0, 7]) {
      const fa = await decodeFrame(a, f);
      const fb = await decodeFrame(b, f);
      expect(fa.samplesPerPixel).toBe(3);
      expect(fb.photometric).toBe('RGB');
      const da = displayFrame(a, fa, f);
      expect(da.channels).toBe(4);
      // Lossy JPEG of the same frames: close to the native original on average.
      let sum = 0;
      for (let i = 0; i < fa.values.length; i++) sum += Math.abs(fa.values[i]! - fb.values[i]!);
      expect(sum / fa.values.length).toBeLessThan(4);
    }
    await expect(decodeFrame(a, 8)).rejects.toMatchObject({ reason: 'frame-out-of-range' });
  });
});
