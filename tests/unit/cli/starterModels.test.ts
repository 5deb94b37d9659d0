import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCore } from '../../../native/app/core.js';
import type { ChannelOutput } from '../../../native/contract/index.js';
import { main, type Io } from '../../../native/cli/main.js';
import { readBundleMetadata } from '../../../native/ml/bundleIo.js';
import { readNotesTable } from '../../../native/ml/tasks/text.js';
import { dataDir, tempDir } from '../helpers.js';

function capture(): Io & { out_: string[]; err_: string[] } {
  const out_: string[] = [];
  const err_: string[] = [];
  return { out_, err_, out: (t) => out_.push(t), err: (t) => err_.push(t) };
}

const data = dataDir();
const models = join(import.meta.dirname, '..', '..', '..', 'resources', 'models');
const shipped = (name: string) => existsSync(join(models, name, 'metadata.json'));

/** A PhysioNet-2012-layout folder with the first `n` set-A stays (linked, not copied) and the outcomes file. */
function physionetSubset(root: string, n: number): string {
  const src = join(data!, 'vitals', 'physionet2012');
  const out = join(root, 'physionet-subset');
  mkdirSync(join(out, 'set-a'), { recursive: true });
  for (const f of readdirSync(join(src, 'set-a')).sort().slice(0, n))
    symlinkSync(join(src, 'set-a', f), join(out, 'set-a', f));
  symlinkSync(join(src, 'Outcomes-a.txt'), join(out, 'Outcomes-a.txt'));
  return out;
}

async function evaluate(home: string, args: string[]): Promise<Record<string, number>> {
  const io = capture();
  const code = await main(['evaluate', ...args, '--json', '--home', home], io);
  expect(io.err_.join('\n')).toBe('');
  expect(code).toBe(0);
  return JSON.parse(io.out_.join('\n')) as Record<string, number>;
}

describe.skipIf(data === null)(
  'shipped starter models: registered on first start and evaluated by osler evaluate',
  { timeout: 300_000 },
  () => {
    const tmp = tempDir('osler-starter-');
    const home = join(tmp.path, 'home');
    afterAll(() => tmp.cleanup());

    it('a new data folder lists the four starter models as active, with readable cards', async () => {
      const io = capture();
      expect(await main(['models', 'list', '--json', '--home', home], io)).toBe(0);
      const list = JSON.parse(io.out_.join('\n')) as { name: string; versions: { state: string }[] }[];
      for (const name of ['chest-xray-pneumonia', 'abstract-condition', 'icu-mortality', 'vitals-forecast'].filter(
        shipped,
      )) {
        expect(list.find((m) => m.name === name)?.versions[0]?.state, name).toBe('active');
        const card = capture();
        expect(await main(['models', 'get', name, '--card', '--home', home], card)).toBe(0);
        expect(card.out_.join('\n')).toMatch(/not a medical device/i);
      }
    });

    it.skipIf(!shipped('abstract-condition'))(
      'abstract-condition predicts a stored note and explains it on its own words',
      async () => {
        const logged: string[] = [];
        const core = createCore({ home, mode: 'cli', log: (line) => logged.push(line) });
        try {
          const csv = join(data!, 'text', 'medical-abstracts', 'abstracts.csv');
          const imported = await core.dispatch(
            'notes.import',
            { path: csv, textCol: ['medical_abstract'], limit: 3 },
            { via: 'cli' },
          );
          expect(imported.ok).toBe(true);
          const target = { kind: 'note' as const, id: 1 };
          const prediction = await core.dispatch(
            'predict.run',
            { model: { name: 'abstract-condition' }, target },
            { via: 'cli' },
          );
          expect(prediction).toMatchObject({ ok: true, value: { modelName: 'abstract-condition' } });
          const explanation = await core.dispatch(
            'explain.run',
            { model: { name: 'abstract-condition' }, target },
            { via: 'cli' },
          );
          if (!explanation.ok) throw new Error(explanation.message);
          // An n-gram bag has no embedding path: word occlusion, without a failed integrated-gradients try.
          expect((explanation.value as ChannelOutput<'explain.run'>).method).toBe('word-occlusion');
          expect(logged.filter((l) => /integrated gradients/.test(l))).toEqual([]);
          const attribution = (explanation.value as ChannelOutput<'explain.run'>).attribution;
          expect(attribution.kind).toBe('tokens');
          if (attribution.kind !== 'tokens') return;
          // Occlusion scores the note's own words; some move the prediction, and positively.
          expect(attribution.tokens.length).toBeGreaterThan(20);
          expect(Math.max(...attribution.tokens.map((t) => t.score))).toBeGreaterThan(0);
          // The model detail carries the sizes of its vocabulary and IDF weights, not the 1.8 MB of them.
          const detail = await core.dispatch('models.get', { name: 'abstract-condition' }, { via: 'cli' });
          if (!detail.ok) throw new Error(detail.message);
          const { metadata } = detail.value as ChannelOutput<'models.get'>;
          expect(metadata.spec).toMatchObject({ family: 'text-bag', featureWeightCount: expect.any(Number) });
          expect(metadata.spec).not.toHaveProperty('featureWeights');
          expect(metadata.input).not.toHaveProperty('vocabulary');
          expect(JSON.stringify(detail).length).toBeLessThan(100_000);
        } finally {
          await core.close();
        }
      },
    );

    it.skipIf(!shipped('chest-xray-pneumonia'))('chest-xray-pneumonia on an ImageFolder split', async () => {
      const out = await evaluate(home, [
        '--model',
        'chest-xray-pneumonia',
        '--data',
        join(data!, 'images', 'pneumoniamnist', 'val'),
      ]);
      expect(out.n).toBe(524);
      expect(out.auc).toBeGreaterThan(0.95);
      for (const k of ['accuracy', 'macroF1', 'ece']) expect(Number.isFinite(out[k])).toBe(true);
    });

    it.skipIf(!shipped('abstract-condition'))("abstract-condition on a CSV with the abstracts' columns", async () => {
      const out = await evaluate(home, [
        '--model',
        'abstract-condition',
        '--data',
        join(data!, 'text', 'medical-abstracts', 'abstracts.csv'),
        '--text-col',
        'medical_abstract',
        '--label-col',
        'condition_label',
      ]);
      expect(out.n).toBe(2310);
      expect(out.auc).toBeGreaterThan(0.8);
      for (const k of ['accuracy', 'macroF1', 'ece']) expect(Number.isFinite(out[k])).toBe(true);

      // On its own validation rows, osler evaluate (the app's calibration: offsets, then temperature)
      // reproduces the card's figures.
      const dir = join(models, 'abstract-condition');
      const split = JSON.parse(readFileSync(join(dir, 'split.json'), 'utf8')) as { validation: number[] };
      const table = await readNotesTable(
        join(data!, 'text', 'medical-abstracts', 'abstracts.csv'),
        {},
        { textColumn: 'medical_abstract', labelColumn: 'condition_label' },
      );
      const csv = join(tmp.path, 'abstracts-validation.csv');
      writeFileSync(
        csv,
        'medical_abstract,condition_label\n' +
          split.validation.map((i) => `"${table.texts[i]!.replace(/"/g, '""')}",${table.labels![i]}`).join('\n') +
          '\n',
      );
      const card = readBundleMetadata(dir).metrics as Record<string, { value: number } | number>;
      const held = await evaluate(home, ['--model', 'abstract-condition', '--data', csv]);
      expect(held.n).toBe(split.validation.length);
      expect(held.macroF1).toBeCloseTo((card.macroF1 as { value: number }).value, 3);
      expect(held.accuracy).toBeCloseTo((card.accuracy as { value: number }).value, 3);
      expect(held.ece).toBeCloseTo(card.ece as number, 3);
    });

    it.skipIf(!shipped('icu-mortality') || !shipped('vitals-forecast'))(
      'icu-mortality and vitals-forecast on a PhysioNet-layout folder',
      async () => {
        const folder = physionetSubset(tmp.path, 300);
        const risk = await evaluate(home, ['--model', 'icu-mortality', '--data', folder]);
        expect(risk.n).toBe(300);
        expect(risk.auc).toBeGreaterThan(0.7);
        for (const k of ['accuracy', 'macroF1', 'ece']) expect(Number.isFinite(risk[k])).toBe(true);
        const forecast = await evaluate(home, ['--model', 'vitals-forecast', '--data', folder]);
        expect(forecast.n).toBeGreaterThan(300);
        // Next-hour heart rate within a few bpm and MAP within a few mmHg, intervals near their level.
        expect(forecast.hrMae ?? forecast.mae).toBeLessThan(10);
        for (const k of ['mae', 'rmse', 'coverage']) expect(Number.isFinite(forecast[k])).toBe(true);
        expect(forecast.coverage).toBeGreaterThan(0.75);
      },
    );

    it.skipIf(!shipped('icu-mortality'))(
      'icu-mortality explains a stored stay hour by hour and names the variables behind it',
      async () => {
        const core = createCore({ home, mode: 'cli', log: () => undefined });
        try {
          const folder = physionetSubset(join(tmp.path, 'explain'), 3);
          const imported = await core.dispatch('vitals.import', { path: folder }, { via: 'cli' });
          expect(imported.ok).toBe(true);
          const record = await core.dispatch('patients.record', { patientKey: 'physionet2012:132539' }, { via: 'cli' });
          if (!record.ok) throw new Error(record.message);
          const recordingId = (record.value as ChannelOutput<'patients.record'>).recordings[0]!.id;
          const target = { kind: 'recording' as const, id: recordingId };
          const risk = await core.dispatch('predict.run', { model: { name: 'icu-mortality' }, target }, { via: 'cli' });
          expect(risk.ok).toBe(true);
          const explanation = await core.dispatch(
            'explain.run',
            { model: { name: 'icu-mortality' }, target },
            { via: 'cli' },
          );
          if (!explanation.ok) throw new Error(explanation.message);
          const attribution = (explanation.value as ChannelOutput<'explain.run'>).attribution;
          expect(attribution.kind).toBe('steps');
          if (attribution.kind !== 'steps') return;
          expect(attribution.scores).toHaveLength(48);
          // Removing an hour of measurements moves the risk for some hours, and variables are ranked.
          expect(attribution.scores.some((v) => v !== 0)).toBe(true);
          expect(attribution.variables.length).toBeGreaterThan(5);
          expect(Math.abs(attribution.variables[0]!.score)).toBeGreaterThanOrEqual(
            Math.abs(attribution.variables.at(-1)!.score),
          );
        } finally {
          await core.close();
        }
      },
    );
  },
);
