import * as tf from '@tensorflow/tfjs';
import { parse } from 'csv-parse/sync';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { integratedGradients } from '../../../native/ml/explain/attributions.js';
import { buildTextBilstm } from '../../../native/ml/models/textBilstm.js';
import {
  buildEncoding,
  encodeNote,
  encodeNotes,
  NUM_ID,
  PAD_ID,
  tokenize,
  UNK_ID,
} from '../../../native/ml/text/tokenizer.js';
import { evaluateLoss, trainLoop } from '../../../native/ml/train/loop.js';
import { dataDir } from '../helpers.js';
import { bothBackends } from './backends.js';

describe('note tokenizer and vocabulary', () => {
  it('lower-cases, maps numbers to <num> and drops punctuation', () => {
    expect(tokenize('BP 120/80, HR 72.5 bpm; patient’s O2-sat ↓ (Ålesund)')).toEqual([
      'bp',
      '<num>',
      'hr',
      '<num>',
      'bpm',
      'patient’s',
      'o',
      '<num>',
      'sat',
      'ålesund',
    ]);
  });

  it('builds a deterministic vocabulary from training notes only, frequent words first', () => {
    const enc = buildEncoding(['b a a c', 'c a b', 'd'], { sequenceLength: 4, minCount: 2 });
    expect(enc.vocabulary).toEqual(['<pad>', '<unk>', '<num>', 'a', 'b', 'c']);
    expect(buildEncoding(['c a b', 'b a a c', 'd'], { sequenceLength: 4, minCount: 2 }).vocabulary).toEqual(
      enc.vocabulary,
    );
  });

  it('pre-pads short notes, keeps the start of long ones, marks unknown words', () => {
    const enc = buildEncoding(['a b c a b c'], { sequenceLength: 4, minCount: 1 });
    const short = encodeNote(enc, 'a zzz 12');
    expect(Array.from(short.ids)).toEqual([PAD_ID, enc.vocabulary.indexOf('a'), UNK_ID, NUM_ID]);
    expect(short.tokens).toEqual([null, 'a', 'zzz', '<num>']);
    const long = encodeNote(enc, 'c b a c b a');
    expect(long.tokens).toEqual(['c', 'b', 'a', 'c']);
    expect(encodeNotes(enc, ['a', 'b']).length).toBe(8);
  });
});

describe('text model', () => {
  beforeAll(bothBackends);

  it('integrated gradients over embeddings are per token and add up to f(x) - f(baseline)', () => {
    const model = buildTextBilstm({ vocabSize: 30, sequenceLength: 6, classes: 3, embeddingDim: 8, units: 4, seed: 4 });
    const x = tf.tensor2d([[0, 0, 5, 9, 2, 17]]);
    const attribution = integratedGradients(model, x, 1, 64);
    expect(attribution.shape).toEqual([1, 6]);
    const f = (model.predict(x) as tf.Tensor).dataSync()[1]!;
    const rest = model.layers.slice(1).reduce((h, l) => l.apply(h) as tf.Tensor, tf.zeros([1, 6, 8]));
    const f0 = rest.dataSync()[1]!;
    expect(attribution.sum().dataSync()[0]!).toBeCloseTo(f - f0, 3);
    tf.dispose([x, attribution, rest]);
    model.dispose();
  });

  const dir = dataDir();
  const csv = dir === null ? null : join(dir, 'text', 'medical-abstracts', 'abstracts.csv');
  it.skipIf(csv === null || !existsSync(csv))(
    'Embedding + biLSTM beats chance on held-out medical abstracts (5 classes)',
    async () => {
      const rows = parse(readFileSync(csv!), { columns: true }) as {
        condition_label: string;
        medical_abstract: string;
      }[];
      const train = rows.slice(0, 1200);
      const held = rows.slice(1200, 1400);
      const enc = buildEncoding(
        train.map((r) => r.medical_abstract),
        { sequenceLength: 32, maxSize: 3000 },
      );
      const asData = (rs: typeof rows) => ({
        x: tf
          .tensor2d(
            encodeNotes(
              enc,
              rs.map((r) => r.medical_abstract),
            ),
            [rs.length, 32],
            'int32',
          )
          .toFloat(),
        y: tf.oneHot(
          rs.map((r) => Number(r.condition_label) - 1),
          5,
        ),
      });
      const trainData = asData(train);
      const heldData = asData(held);
      const model = buildTextBilstm({
        vocabSize: enc.vocabulary.length,
        sequenceLength: 32,
        classes: 5,
        embeddingDim: 32,
        units: 16,
        seed: 1,
      });
      await trainLoop(
        model,
        trainData,
        { epochs: 3, batchSize: 32, learningRate: 0.01, seed: 1, loss: 'categorical' },
        {},
        heldData,
      );
      const { accuracy } = evaluateLoss(model, heldData, 'categorical', 64);
      const counts = [0, 0, 0, 0, 0];
      for (const r of held) counts[Number(r.condition_label) - 1]!++;
      const majority = Math.max(...counts) / held.length;
      // Chance is 0.2; the majority class is ~0.34 of this held-out slice.
      expect(accuracy!).toBeGreaterThanOrEqual(majority + 0.05);
      tf.dispose([trainData.x, trainData.y, heldData.x, heldData.y]);
      model.dispose();
    },
  );
});
