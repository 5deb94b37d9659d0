import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBundleMetadata } from '../../../native/ml/bundleIo.js';
import { EngineClient } from '../../../native/ml/engine/client.js';
import { recipe, trainChestXray } from '../../../native/ml/starter/chestXrayPneumonia.js';
import { imagePipeline } from '../../../native/ml/tasks/image.js';
import { dataDir, tempDir } from '../helpers.js';

const data = dataDir();

describe.skipIf(data === null)(
  'chest-xray-pneumonia starter recipe on a PneumoniaMNIST subset (skipped without ../shared/data)',
  () => {
    let engine: EngineClient;
    const dirs = [tempDir('osler-cxr-a-'), tempDir('osler-cxr-b-')];
    const log: string[] = [];

    beforeAll(async () => {
      engine = await EngineClient.start();
    });
    afterAll(async () => {
      await engine?.close();
      for (const d of dirs) d.cleanup();
    });

    const run = (i: number) =>
      trainChestXray(
        { dataRoot: data!, outDir: dirs[i]!.path, engine, seed: 5, log: (l) => log.push(l) },
        { limit: 64, epochs: 1, width: 4 },
      );

    it('writes a valid bundle, reproduces it exactly with the same seed, and predicts identically after load', async () => {
      expect(recipe.name).toBe('chest-xray-pneumonia');
      expect(recipe.dataPath).toBe('images/pneumoniamnist');
      const first = await run(0);
      const second = await run(1);
      for (const file of ['model.json', 'weights.bin', 'metadata.json', 'CARD.md'])
        expect(existsSync(join(dirs[0]!.path, file))).toBe(true);
      const metadata = readBundleMetadata(dirs[0]!.path);
      expect(metadata.name).toBe('chest-xray-pneumonia');
      expect(metadata.outputs).toEqual(['normal', 'pneumonia']);
      expect(metadata.positiveClass).toBe('pneumonia');
      expect(metadata.trainingData.trainSize).toBe(64);
      expect(metadata.metrics.auc).toMatchObject({
        value: expect.any(Number),
        ci95: [expect.any(Number), expect.any(Number)],
      });
      expect(metadata.metrics).toHaveProperty('eceBeforeTemperature');
      expect(metadata.metrics).toHaveProperty('ece');
      expect(metadata.temperature).toBeGreaterThan(0);
      const card = readFileSync(join(dirs[0]!.path, 'CARD.md'), 'utf8');
      expect(card).toMatch(/not a medical device/);
      expect(card).toMatch(/CC BY 4\.0/);
      expect(card).toMatch(/28x28/);
      // Same seed, same data: identical weights and figures.
      expect(
        Buffer.compare(
          readFileSync(join(dirs[0]!.path, 'weights.bin')),
          readFileSync(join(dirs[1]!.path, 'weights.bin')),
        ),
      ).toBe(0);
      expect(second.metrics).toEqual(first.metrics);
      expect(second.temperature).toBe(first.temperature);
      // The bundle reloads and predicts exactly what the trained model predicted.
      const val = await imagePipeline.load(join(data!, 'images', 'pneumoniamnist', 'val'), metadata, { limit: 40 });
      const live = await engine.predict({ modelId: 'starter', x: val.x }).result;
      await engine.load({ modelId: 'reloaded', dir: dirs[1]!.path });
      const reloaded = await engine.predict({ modelId: 'reloaded', x: val.x }).result;
      expect(Array.from(reloaded.y.values)).toEqual(Array.from(live.y.values));
      expect(log.some((l) => l.startsWith('validation:'))).toBe(true);
    });
  },
);
