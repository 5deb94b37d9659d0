import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleMetadata } from '../../../native/ml/bundleIo.js';
import { EngineClient } from '../../../native/ml/engine/client.js';
import { readAbstractCorpus, recipe, trainAbstractCondition } from '../../../native/ml/starter/abstractCondition.js';
import { BUNDLE_FILES } from '../../../native/ml/bundle.js';
import { encodeTexts, textPipeline } from '../../../native/ml/tasks/text.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? worst : Infinity;
}

describe.skipIf(data === null)(
  'abstract-condition starter recipe on an abstracts subset (skipped without ../shared/data)',
  () => {
    let engine: EngineClient;
    const dirs = [tempDir('osler-abs-a-'), tempDir('osler-abs-b-')];

    beforeAll(async () => {
      engine = await EngineClient.start();
    });
    afterAll(async () => {
      await engine?.close();
      for (const d of dirs) d.cleanup();
    });

    const run = (i: number) =>
      trainAbstractCondition(
        { dataRoot: data!, outDir: dirs[i]!.path, engine, seed: 3, log: () => undefined },
        { limit: 300, epochs: 3, maxFeatures: 4000, sequenceLength: 256, embeddingDim: 8, crossFitFolds: 3 },
      );

    it('writes a valid bundle with its split, reproduces it exactly, and evaluates a CSV in the same layout after load', async () => {
      expect(recipe.name).toBe('abstract-condition');
      const first = await run(0);
      const second = await run(1);
      for (const file of ['model.json', 'weights.bin', 'metadata.json', 'CARD.md', BUNDLE_FILES.split])
        expect(existsSync(join(dirs[0]!.path, file))).toBe(true);
      const metadata = readBundleMetadata(dirs[0]!.path);
      expect(metadata.outputs).toEqual([
        'neoplasms',
        'digestive system diseases',
        'nervous system diseases',
        'cardiovascular diseases',
        'general pathological conditions',
      ]);
      expect(metadata.input.kind).toBe('text');
      const split = JSON.parse(readFileSync(join(dirs[0]!.path, BUNDLE_FILES.split), 'utf8')) as {
        train: number[];
        validation: number[];
      };
      expect(split.train.length + split.validation.length).toBe(300);
      expect(split.validation.filter((i) => split.train.includes(i))).toEqual([]);
      expect(metadata.trainingData.validationSize).toBe(split.validation.length);
      expect(metadata.metrics.macroF1).toMatchObject({
        value: expect.any(Number),
        ci95: [expect.any(Number), expect.any(Number)],
      });
      expect(readFileSync(join(dirs[0]!.path, 'CARD.md'), 'utf8')).toMatch(/CC BY-SA 3\.0/);
      // Decision offsets fitted on out-of-fold predictions ship with the bundle and the card names them.
      expect(metadata.classOffsets).toHaveLength(5);
      expect(readFileSync(join(dirs[0]!.path, 'CARD.md'), 'utf8')).toMatch(/Class offsets on the log-probabilities/);
      expect(
        Buffer.compare(
          readFileSync(join(dirs[0]!.path, 'weights.bin')),
          readFileSync(join(dirs[1]!.path, 'weights.bin')),
        ),
      ).toBe(0);
      expect(second.metrics).toEqual(first.metrics);
      // A CSV with the abstracts' columns (numeric labels) evaluates through the pipeline after load.
      const csv = join(dirs[0]!.path, 'sample.csv');
      const rows = readFileSync(join(data!, 'text', 'medical-abstracts', 'abstracts.csv'), 'utf8');
      writeFileSync(csv, rows.slice(0, rows.indexOf('\n3,', 20_000)));
      const set = await textPipeline.load(csv, metadata);
      expect(set.labels!.length).toBeGreaterThan(5);
      expect(set.skipped).toEqual([]);
      await engine.load({ modelId: 'reloaded', dir: dirs[1]!.path });
      const reloaded = await engine.predict({ modelId: 'reloaded', x: set.x }).result;
      const live = await engine.predict({ modelId: 'starter', x: set.x }).result;
      // The bundle stores uint8 weights (per-tensor min and scale in the manifest), so the reloaded
      // model is the trained one up to quantization: same calls, probabilities within 0.01.
      const manifest = JSON.parse(readFileSync(join(dirs[1]!.path, 'model.json'), 'utf8')) as {
        weightsManifest: { weights: { dtype: string; quantization?: { dtype: string } }[] }[];
      };
      const floats = manifest.weightsManifest[0]!.weights.filter((w) => w.dtype === 'float32');
      expect(floats.map((w) => w.quantization?.dtype)).toEqual(floats.map(() => 'uint8'));
      const k = metadata.outputs.length;
      const stored = reloaded.y.values as Float32Array;
      const trained = live.y.values as Float32Array;
      expect(maxAbsDiff(stored, trained)).toBeLessThan(0.01);
      const argmax = (p: Float32Array, r: number) =>
        p.subarray(r * k, r * k + k).reduce((b, v, j, a) => (v > a[b]! ? j : b), 0);
      for (let r = 0; r < stored.length / k; r++) expect(argmax(stored, r)).toBe(argmax(trained, r));
      // The single-item encoder gives the same row as the file pipeline.
      const firstText = encodeTexts(metadata, [
        'Migraine and vertebrobasilar ischemia. I studied 9 patients with migraine and posterior circulation ischemia.',
      ]);
      expect(firstText.shape).toEqual([1, 256]);
    }, 120_000);
  },
);

describe('abstract corpus reader', () => {
  it('names the row whose label the labels file does not list', async () => {
    const dir = tempDir();
    try {
      const folder = join(dir.path, 'text', 'medical-abstracts');
      mkdirSync(folder, { recursive: true });
      writeFileSync(
        join(folder, 'medical_tc_labels.csv'),
        'condition_label,condition_name\n1,neoplasms\n2,digestive\n',
      );
      writeFileSync(
        join(folder, 'abstracts.csv'),
        'condition_label,medical_abstract\n1,a tumour was found\n7,an unlisted class\n',
      );
      await expect(readAbstractCorpus(dir.path)).rejects.toMatchObject({
        code: 'invalid-input',
        message: expect.stringMatching(/row 2 has the label "7"/),
      });
    } finally {
      dir.cleanup();
    }
  });
});
