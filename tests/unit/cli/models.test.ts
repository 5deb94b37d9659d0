import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../../../native/cli/main.js';
import { dataDir, tempDir } from '../helpers.js';

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (t) => out_.push(t), err: (t) => err_.push(t) };
}

const data = dataDir();
const pneumonia = data === null ? null : join(data, 'images', 'pneumoniamnist');

/** An ImageFolder of `n` images per class linked from one PneumoniaMNIST split (nothing copied). */
function imageFolder(root: string, split: 'train' | 'val', n: number): string {
  const out = join(root, split);
  for (const cls of ['normal', 'pneumonia']) {
    mkdirSync(join(out, cls), { recursive: true });
    const files = readdirSync(join(pneumonia!, split, cls))
      .sort()
      .slice(0, n);
    for (const f of files) symlinkSync(join(pneumonia!, split, cls, f), join(out, cls, f));
  }
  return out;
}

describe.skipIf(pneumonia === null)(
  'osler train / evaluate / predict / models (PneumoniaMNIST subset)',
  { timeout: 300_000 },
  () => {
    const tmp = tempDir('osler-cli-models-');
    const home = join(tmp.path, 'home');
    afterAll(() => tmp.cleanup());
    let train: string;
    let val: string;

    it('trains a new image model from an ImageFolder and registers it', async () => {
      train = imageFolder(tmp.path, 'train', 60);
      val = imageFolder(tmp.path, 'val', 30);
      const io = capture();
      const code = await main(
        [
          'train',
          '--task',
          'image',
          '--name',
          'cxr-site',
          '--data',
          train,
          '--val',
          val,
          '--epochs',
          '4',
          '--image-size',
          '28',
          '--seed',
          '2',
          '--json',
          '--home',
          home,
          '--quiet',
        ],
        io,
      );
      expect(io.err_.join('\n')).toBe('');
      expect(code).toBe(0);
      const run = JSON.parse(io.out_.join('\n')) as {
        status: string;
        versionId: number;
        metrics: { final: Record<string, number> };
      };
      expect(run.status).toBe('succeeded');
      expect(run.metrics.final.n).toBe(60);
      const list = capture();
      expect(await main(['models', 'list', '--json', '--home', home], list)).toBe(0);
      const models = JSON.parse(list.out_.join('\n')) as { name: string; versions: { state: string }[] }[];
      expect(models.find((m) => m.name === 'cxr-site')?.versions[0]?.state).toBe('active');
    });

    it('evaluates on a folder in the training layout, printing n, accuracy, auc, macroF1 and ece', async () => {
      const io = capture();
      expect(await main(['evaluate', '--model', 'cxr-site', '--data', val, '--json', '--home', home], io)).toBe(0);
      const out = JSON.parse(io.out_.join('\n')) as Record<string, number> & { report: { confusion: number[][] } };
      expect(out.n).toBe(60);
      for (const k of ['accuracy', 'auc', 'macroF1', 'ece']) expect(Number.isFinite(out[k])).toBe(true);
      // Beats chance clearly after a few epochs on 120 images.
      expect(out.auc).toBeGreaterThan(0.75);
      expect(out.report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(60);
    });

    it('predicts a single PNG and a folder without storing anything', async () => {
      const io = capture();
      const png = join(val, 'pneumonia', readdirSync(join(val, 'pneumonia'))[0]!);
      expect(await main(['predict', '--model', 'cxr-site', '--input', png, '--json', '--home', home], io)).toBe(0);
      const out = JSON.parse(io.out_.join('\n')) as {
        predictions: { id: string; predicted: string; probabilities: number[] }[];
      };
      expect(out.predictions).toHaveLength(1);
      expect(['normal', 'pneumonia']).toContain(out.predictions[0]!.predicted);
      expect(out.predictions[0]!.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      const folder = capture();
      expect(await main(['predict', '--model', 'cxr-site', '--input', val, '--json', '--home', home], folder)).toBe(0);
      expect((JSON.parse(folder.out_.join('\n')) as { predictions: unknown[] }).predictions).toHaveLength(60);
    });

    it('exports a bundle, and evaluates the exported folder by path with the same figures', async () => {
      const io = capture();
      const out = join(tmp.path, 'exported');
      expect(await main(['models', 'export', 'cxr-site', '--out', out, '--json', '--home', home], io)).toBe(0);
      const exported = JSON.parse(io.out_.join('\n')) as { path: string };
      const byName = capture();
      const byPath = capture();
      await main(['evaluate', '--model', 'cxr-site', '--data', val, '--json', '--home', home], byName);
      await main(['evaluate', '--model', exported.path, '--data', val, '--json', '--home', home], byPath);
      const a = JSON.parse(byName.out_.join('\n')) as Record<string, number>;
      const b = JSON.parse(byPath.out_.join('\n')) as Record<string, number>;
      expect(b.auc).toBeCloseTo(a.auc!, 6);
      expect(b.accuracy).toBeCloseTo(a.accuracy!, 6);
    });

    it('answers bad input with one clear line and a non-zero exit', async () => {
      const io = capture();
      expect(await main(['evaluate', '--model', 'no-such-model', '--data', val, '--home', home], io)).not.toBe(0);
      expect(io.err_.join('\n')).toMatch(/no model named no-such-model/);
      const missing = capture();
      expect(await main(['train', '--task', 'image', '--home', home], missing)).not.toBe(0);
      expect(missing.err_.join('\n')).toMatch(/--data/);
      const reason = capture();
      expect(await main(['models', 'rollback', 'cxr-site', '--home', home], reason)).not.toBe(0);
      expect(reason.err_.join('\n')).toMatch(/--reason/);
    });
  },
);
