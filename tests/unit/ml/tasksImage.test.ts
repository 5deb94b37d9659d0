import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { BundleMetadata } from '../../../native/ml/bundle.js';
import { encodeImage, loadImageFolder, readPngGrey } from '../../../native/ml/tasks/image.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();
const pneumonia = data === null ? null : join(data, 'images', 'pneumoniamnist');

function metadata(
  overrides: Partial<{ width: number; height: number; channels: number; mean: number; std: number }> = {},
): BundleMetadata {
  return {
    name: 'test-image',
    outputs: ['normal', 'pneumonia'],
    input: { kind: 'image', width: 28, height: 28, channels: 1, scale: 255, mean: 0.5, std: 0.25, ...overrides },
  } as unknown as BundleMetadata;
}

/** A minimal 8-bit grey PNG (filter 0 rows). */
function greyPng(width: number, height: number, pixel: (x: number, y: number) => number): Buffer {
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);
  const chunk = (type: string, body: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    return Buffer.concat([len, Buffer.from(type, 'latin1'), body, Buffer.alloc(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 0;
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('image task pipeline', () => {
  it('encodes one grey image: resize to the model grid, scale, normalise, repeat channels', () => {
    const grey = new Float32Array([0, 255, 255, 0]);
    const same = encodeImage(metadata({ width: 2, height: 2 }), grey, 2, 2);
    expect(same.shape).toEqual([1, 2, 2, 1]);
    expect(Array.from(same.values)).toEqual([-2, 2, 2, -2]);
    const rgb = encodeImage(metadata({ width: 1, height: 1, channels: 3 }), new Float32Array(16).fill(127.5), 4, 4);
    expect(rgb.shape).toEqual([1, 1, 1, 3]);
    expect(Array.from(rgb.values)).toEqual([0, 0, 0]);
    expect(() => encodeImage(metadata(), new Float32Array(5), 2, 2)).toThrow(/does not match/);
    const text = { ...metadata(), input: { kind: 'text' } } as unknown as BundleMetadata;
    expect(() => encodeImage(text, grey, 2, 2)).toThrow(/does not take images/);
  });

  it('reads an ImageFolder with the model class order, skipping unknown classes and broken files', async () => {
    const dir = tempDir();
    try {
      for (const c of ['pneumonia', 'normal', 'other']) mkdirSync(join(dir.path, c));
      writeFileSync(
        join(dir.path, 'normal', 'a.png'),
        greyPng(4, 4, () => 255),
      );
      writeFileSync(
        join(dir.path, 'pneumonia', 'b.png'),
        greyPng(56, 56, (x) => (x < 28 ? 0 : 255)),
      );
      writeFileSync(join(dir.path, 'pneumonia', 'c.png'), Buffer.from('not a png'));
      writeFileSync(
        join(dir.path, 'other', 'd.png'),
        greyPng(4, 4, () => 0),
      );
      const set = await loadImageFolder(dir.path, metadata());
      expect(set.ids).toEqual(['normal/a.png', 'pneumonia/b.png']);
      expect(Array.from(set.labels!)).toEqual([0, 1]);
      expect(set.x.shape).toEqual([2, 28, 28, 1]);
      expect(Array.from(set.y!.values)).toEqual([1, 0, 0, 1]);
      expect(set.x.values[0]).toBeCloseTo(2, 5);
      expect(set.x.values[28 * 28]).toBeCloseTo(-2, 5);
      expect(set.x.values[28 * 28 + 27]).toBeCloseTo(2, 5);
      expect(set.skipped.map((s) => s.id).sort()).toEqual(['other', 'pneumonia/c.png']);
      expect(set.skipped.find((s) => s.id === 'other')!.reason).toMatch(/not one of the model's classes/);
      expect(set.skipped.find((s) => s.id === 'pneumonia/c.png')!.reason).toMatch(/unreadable PNG/);
      // A flat folder of PNGs is read unlabelled.
      const flat = await loadImageFolder(join(dir.path, 'normal'), metadata());
      expect(flat.labels).toBeNull();
      expect(flat.y).toBeNull();
      expect(flat.ids).toEqual(['a.png']);
      await expect(loadImageFolder(join(dir.path, 'missing'), metadata())).rejects.toThrow(/cannot read/);
    } finally {
      dir.cleanup();
    }
  });

  it.skipIf(pneumonia === null)(
    'reads a real PneumoniaMNIST split with labels from metadata.outputs (skipped without ../shared/data)',
    async () => {
      const set = await loadImageFolder(join(pneumonia!, 'val'), metadata());
      expect(set.ids.length).toBe(524);
      expect(set.skipped).toEqual([]);
      const counts = [0, 0];
      for (const l of set.labels!) counts[l]!++;
      expect(counts).toEqual([135, 389]);
      // Same values as encoding the file on its own.
      const first = readPngGrey(join(pneumonia!, 'val', set.ids[0]!));
      const single = encodeImage(metadata(), first.grey, first.width, first.height);
      expect(Array.from(single.values)).toEqual(Array.from(set.x.values.subarray(0, 28 * 28)));
      const limited = await loadImageFolder(join(pneumonia!, 'val'), metadata(), { limit: 10 });
      expect(limited.ids.length).toBe(10);
    },
  );
});
