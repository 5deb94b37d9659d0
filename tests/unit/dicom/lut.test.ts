import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyVoiLut,
  decodeFrame,
  displayFrame,
  modalityValues,
  paletteColorValues,
  paletteOf,
  parseDicom,
  voiLuts,
  type DicomDataset,
  type StoredFrame,
} from '../../../native/dicom/index.js';
import { tempDir } from '../helpers.js';

// pydicom (Debian python3-pydicom) writes the files and computes its own apply_voi_lut / apply_color_lut.
const PYTHON = '/usr/bin/python3';
const havePydicom = spawnSync(PYTHON, ['-c', 'import pydicom, numpy']).status === 0;

interface Case {
  case: string;
  kind: 'voi' | 'palette';
  dtype: 'u1' | 'u2';
  shape: number[];
}

describe.skipIf(!havePydicom)('VOI LUT Sequence and PALETTE COLOR against pydicom', () => {
  const tmp = tempDir('osler-lut-');
  const cases: Case[] = [];
  afterAll(() => tmp.cleanup());
  beforeAll(() => {
    const r = spawnSync(PYTHON, [join(import.meta.dirname, 'lut_reference.py'), tmp.path], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    for (const line of r.stdout.split('\n')) if (line.startsWith('{')) cases.push(JSON.parse(line) as Case);
  }, 60_000);

  async function load(name: string): Promise<{ ds: DicomDataset; frame: StoredFrame; ref: Uint8Array | Uint16Array }> {
    const c = cases.find((x) => x.case === name);
    expect(c, `pydicom made ${name}`).toBeDefined();
    const ds = parseDicom(readFileSync(join(tmp.path, `${name}.dcm`)));
    const buf = readFileSync(join(tmp.path, `${name}.raw`));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const ref = c!.dtype === 'u1' ? new Uint8Array(ab) : new Uint16Array(ab);
    return { ds, frame: await decodeFrame(ds, 0), ref };
  }

  it('generates the cases', () => {
    expect(cases.filter((c) => c.kind === 'voi').length).toBe(5);
    expect(cases.filter((c) => c.kind === 'palette').length).toBe(6);
  });

  it.each([
    'voi-signed-ss-16bit',
    'voi-8bit-entries',
    'voi-implicit-ow-65536',
    'voi-implicit-signed-12bit',
    'voi-big-endian',
  ])('%s: VOI LUT output equals pydicom apply_voi_lut', async (name) => {
    const { ds, frame, ref } = await load(name);
    const luts = voiLuts(ds);
    expect(luts.length).toBeGreaterThan(0);
    const ours = applyVoiLut(modalityValues(ds, frame), luts[0]!);
    expect(ours.length).toBe(ref.length);
    expect(Array.from(ours)).toEqual(Array.from(ref));
    // Values below the first mapped input and past the table both occur, so clamping is exercised.
    expect(new Set(ours).size).toBeGreaterThan(20);

    // Display goes through the LUT, scaled from its entry bits to 8; MONOCHROME1 inverts.
    const img = displayFrame(ds, frame);
    expect(img.voiLutIndex).toBe(0);
    expect(img.window).toBeUndefined();
    const scale = 255 / (2 ** luts[0]!.bits - 1);
    const invert = frame.photometric === 'MONOCHROME1';
    for (let i = 0; i < ours.length; i += 97) {
      const b = Math.min(255, Math.round(ours[i]! * scale));
      expect(img.data[i]).toBe(invert ? 255 - b : b);
    }
  });

  it('reads descriptor signedness, explanations and several LUTs; an explicit window or preset wins', async () => {
    const { ds, frame } = await load('voi-signed-ss-16bit');
    const luts = voiLuts(ds);
    expect(luts.map((l) => [l.firstMapped, l.bits, l.data.length, l.explanation])).toEqual([
      [-1024, 16, 4096, 'SQRT'],
      [-1024, 16, 4096, 'INVERSE'],
    ]);
    const first = displayFrame(ds, frame, 0, { voiLutIndex: 0 }).data;
    const second = displayFrame(ds, frame, 0, { voiLutIndex: 1 });
    expect(second.voiLutIndex).toBe(1);
    expect(Array.from(second.data)).not.toEqual(Array.from(first));
    const preset = displayFrame(ds, frame, 0, { presetIndex: 0 });
    expect(preset.window).toMatchObject({ center: 40, width: 400 });
    expect(preset.voiLutIndex).toBeUndefined();
    expect(displayFrame(ds, frame, 0, { voiLutIndex: false }).window).toMatchObject({ center: 40, width: 400 });
    const implicitSigned = (await load('voi-implicit-signed-12bit')).ds;
    expect(voiLuts(implicitSigned)[0]).toMatchObject({ firstMapped: -500, bits: 12 });
  });

  it.each([
    ['palette-16bit-entries', 16],
    ['palette-16bit-image', 16],
    ['palette-8bit-packed', 8],
    ['palette-8bit-in-words', 16],
    ['palette-segmented-spring', 8],
    ['palette-segmented-16bit', 16],
  ] as const)('%s: palette colours equal pydicom apply_color_lut', async (name, storedBits) => {
    const { ds, frame, ref } = await load(name);
    expect(frame.photometric).toBe('PALETTE COLOR');
    const palette = paletteOf(ds);
    expect(palette.storedBits).toBe(storedBits);
    const ours = paletteColorValues(ds, frame, palette);
    expect(ours.length).toBe(ref.length);
    expect(Array.from(ours)).toEqual(Array.from(ref));

    const img = displayFrame(ds, frame);
    expect(img.channels).toBe(4);
    const shift = palette.display16 ? 8 : 0;
    for (let p = 0; p < frame.rows * frame.columns; p += 31) {
      expect([img.data[p * 4], img.data[p * 4 + 1], img.data[p * 4 + 2], img.data[p * 4 + 3]]).toEqual([
        ours[p * 3]! >> shift,
        ours[p * 3 + 1]! >> shift,
        ours[p * 3 + 2]! >> shift,
        255,
      ]);
    }
  });

  it('expands the segmented tables to their declared lengths; 8-bit entries in words display unscaled', async () => {
    const spring = paletteOf((await load('palette-segmented-spring')).ds);
    expect(spring.red.length).toBe(256);
    const seg16 = paletteOf((await load('palette-segmented-16bit')).ds);
    expect(seg16.red.length).toBe(258);
    expect(Array.from(seg16.red.subarray(0, 5))).toEqual([0, 1000, 2000, 3000, 3625]);
    expect(seg16.firstMapped).toBe(10);
    expect(paletteOf((await load('palette-8bit-in-words')).ds).display16).toBe(false);
  });
});
