import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineClient } from '../../../native/ml/engine/client.js';
import { augmentBatch } from '../../../native/ml/image/augment.js';
import { heatmapToSource, listImageFolder, loadImages, resizeBilinear } from '../../../native/ml/image/imageFolder.js';
import { decodePng, PngDecodeError } from '../../../native/ml/image/png.js';
import { seededRandom } from '../../../native/ml/random.js';
import { dataDir } from '../helpers.js';
import { bothBackends } from './backends.js';

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}
/** A minimal PNG encoder for fixtures: row r uses filter r % 5, so every filter is exercised. */
function encodePng(
  width: number,
  height: number,
  colorType: number,
  bitDepth: 8 | 16,
  samples: ArrayLike<number>,
  extra: Uint8Array[] = [],
): Uint8Array {
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType]!;
  const bpp = (channels * bitDepth) / 8;
  const stride = width * bpp;
  const rows = new Uint8Array(height * stride);
  for (let i = 0; i < samples.length; i++) {
    if (bitDepth === 16) {
      rows[2 * i] = samples[i]! >> 8;
      rows[2 * i + 1] = samples[i]! & 0xff;
    } else rows[i] = samples[i]!;
  }
  const raw = new Uint8Array(height * (stride + 1));
  for (let y = 0; y < height; y++) {
    const f = y % 5;
    raw[y * (stride + 1)] = f;
    for (let x = 0; x < stride; x++) {
      const v = rows[y * stride + x]!;
      const a = x >= bpp ? rows[y * stride + x - bpp]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + x]! : 0;
      const c = x >= bpp && y > 0 ? rows[(y - 1) * stride + x - bpp]! : 0;
      const p = a + b - c;
      const pred = [
        0,
        a,
        b,
        (a + b) >> 1,
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c,
      ][f]!;
      raw[y * (stride + 1) + 1 + x] = (v - pred) & 0xff;
    }
  }
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    ...extra,
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ];
  return Buffer.concat(parts);
}

describe('PNG decoding', () => {
  const next = seededRandom(1);
  it.each([
    ['gray 8', 0, 8, 1],
    ['RGB 8', 2, 8, 3],
    ['gray+alpha 8', 4, 8, 2],
    ['RGBA 8', 6, 8, 4],
    ['gray 16', 0, 16, 1],
    ['RGB 16', 2, 16, 3],
  ] as const)('%s round-trips through all five row filters', (_name, colorType, bitDepth, channels) => {
    const w = 7;
    const h = 11;
    const samples = Array.from({ length: w * h * channels }, () =>
      Math.floor(next() * (bitDepth === 16 ? 65536 : 256)),
    );
    const image = decodePng(encodePng(w, h, colorType, bitDepth, samples));
    expect([image.width, image.height, image.channels, image.bitDepth]).toEqual([w, h, channels, bitDepth]);
    expect(Array.from(image.data)).toEqual(samples);
  });

  it('expands palette images (with transparency) to RGBA', () => {
    const plte = chunk('PLTE', new Uint8Array([10, 20, 30, 40, 50, 60]));
    const trns = chunk('tRNS', new Uint8Array([128]));
    const image = decodePng(encodePng(2, 1, 3, 8, [1, 0], [plte, trns]));
    expect(image.channels).toBe(4);
    expect(Array.from(image.data)).toEqual([40, 50, 60, 255, 10, 20, 30, 128]);
  });

  it('refuses broken files with a reason', () => {
    const good = encodePng(4, 4, 0, 8, new Array(16).fill(7));
    const reason = (bytes: Uint8Array) => {
      try {
        decodePng(bytes);
        return 'decoded';
      } catch (e) {
        return e instanceof PngDecodeError ? e.reason : 'other';
      }
    };
    expect(reason(new Uint8Array([1, 2, 3]))).toBe('not-png');
    expect(reason(good.subarray(0, good.length - 30))).toBe('truncated');
    const interlaced = Uint8Array.from(good);
    interlaced[8 + 8 + 12] = 1;
    expect(reason(interlaced)).toBe('unsupported');
  });
});

describe('image geometry and augmentation', () => {
  beforeAll(bothBackends);

  it('resizing to the same size is the identity; heat maps land on the source pixels they cover', () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    expect(Array.from(resizeBilinear(src, 4, 3, 4, 3))).toEqual(Array.from(src));
    // A 4x4 map with one hot cell (row 1, col 2) over a 40x20 source cropped to x 10..30, y 0..20.
    const map = new Float32Array(16);
    map[1 * 4 + 2] = 1;
    const out = heatmapToSource(map, 4, 4, {
      sourceWidth: 40,
      sourceHeight: 20,
      crop: { x: 10, y: 0, width: 20, height: 20 },
    });
    let at = 0;
    for (let i = 1; i < out.length; i++) if (out[i]! > out[at]!) at = i;
    const [y, x] = [Math.floor(at / 40), at % 40];
    // Cell (1, 2) spans source x 20..25, y 5..10.
    expect(x).toBeGreaterThanOrEqual(20);
    expect(x).toBeLessThan(25);
    expect(y).toBeGreaterThanOrEqual(5);
    expect(y).toBeLessThan(10);
    expect(out[5 * 40 + 5]).toBe(0);
  });

  it('augmentation: no-op options are the identity, flips mirror, a shift moves by whole pixels', () => {
    const values = Float32Array.from({ length: 2 * 5 * 5 }, (_, i) => i);
    const x = tf.tensor4d(values, [2, 5, 5, 1]);
    expect(Array.from(augmentBatch(x, {}, seededRandom(1)).dataSync())).toEqual(Array.from(values));
    const flipped = augmentBatch(x, { flipHorizontal: true }, () => 0.2).arraySync() as number[][][][];
    expect(flipped[0]![0]!.map((p) => p[0])).toEqual([4, 3, 2, 1, 0]);
    // random() = 1 gives the largest shift: +0.2 * 5 = 1 pixel right and down, zero fill.
    const shifted = augmentBatch(x, { maxShiftFraction: 0.2 }, () => 1).arraySync() as number[][][][];
    expect(shifted[0]![1]!.map((p) => p[0])).toEqual([0, 0, 1, 2, 3]);
    expect(shifted[0]![0]!.map((p) => p[0])).toEqual([0, 0, 0, 0, 0]);
    x.dispose();
  });
});

const dir = dataDir();
const pneumonia = dir === null ? null : join(dir, 'images', 'pneumoniamnist');
describe.skipIf(pneumonia === null || !existsSync(pneumonia))(
  'image model on PneumoniaMNIST (real chest X-rays)',
  () => {
    let engine: EngineClient;
    beforeAll(async () => {
      engine = await EngineClient.start();
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('trains in the worker with augmentation, beats chance on the validation folder, Grad-CAM maps onto the source grid', async () => {
      const take = (root: string, perClass: number) => {
        const folder = listImageFolder(root);
        const byClass = folder.classes.map((_, c) => folder.items.filter((i) => i.classIndex === c).slice(0, perClass));
        return { classes: folder.classes, items: byClass.flat() };
      };
      const train = take(join(pneumonia!, 'train'), 200);
      const val = take(join(pneumonia!, 'val'), 60);
      expect(train.classes).toEqual(['normal', 'pneumonia']);
      const asData = (items: typeof train.items) => {
        const { values } = loadImages(
          items.map((i) => i.path),
          28,
          28,
        );
        const y = new Float32Array(items.length * 2);
        items.forEach((it, k) => (y[k * 2 + it.classIndex] = 1));
        return {
          x: { shape: [items.length, 28, 28, 1], dtype: 'float32' as const, values },
          y: { shape: [items.length, 2], dtype: 'float32' as const, values: y },
        };
      };
      const trainData = asData(train.items);
      const valData = asData(val.items);
      await engine.train({
        modelId: 'pneumonia',
        spec: { family: 'image-resnet', inputShape: [28, 28, 1], classes: 2, width: 8, stages: 2, seed: 1 },
        train: trainData,
        validation: valData,
        options: {
          epochs: 6,
          batchSize: 32,
          learningRate: 0.005,
          seed: 1,
          augment: { maxRotationDeg: 8, maxShiftFraction: 0.08, intensityJitter: 0.1 },
        },
      }).result;
      const { accuracy } = await engine.evaluate({ modelId: 'pneumonia', x: valData.x, y: valData.y }).result;
      // Balanced classes: chance is 0.5.
      expect(accuracy!).toBeGreaterThanOrEqual(0.75);
      const one = { shape: [1, 28, 28, 1], dtype: 'float32' as const, values: valData.x.values.slice(0, 28 * 28) };
      const { attribution } = await engine.explain({ modelId: 'pneumonia', x: one, method: 'grad-cam' }).result;
      const { geometry } = loadImages([val.items[0]!.path], 28, 28);
      const onSource = heatmapToSource(attribution.values as Float32Array, 28, 28, geometry[0]!);
      expect(onSource.length).toBe(geometry[0]!.sourceWidth * geometry[0]!.sourceHeight);
      expect(Math.max(...onSource)).toBeGreaterThan(0);
    });
  },
);
