import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildTextBag, EmbeddingBag, FEATURE_WEIGHTS } from '../../../native/ml/models/textBag.js';

describe('n-gram bag model', () => {
  it('weights count-encoded features by sublinear TF x IDF and L2-normalises them', () => {
    const idf = [1, 1, 1, 2, 0.5];
    const bag = new EmbeddingBag({ inputDim: 5, outputDim: 2, pooling: 'l2', countBase: 8, featureWeights: idf });
    const ids = tf.tensor2d([[3 * 8 + 1, 4 * 8 + 3, 0]], [1, 3], 'int32');
    const out = bag.apply(ids) as tf.Tensor;
    const e = bag.getWeights()[0]!.arraySync() as number[][];
    expect(bag.getWeights()[1]!.arraySync()).toEqual(idf);
    expect(bag.trainableWeights.map((w) => w.name)).not.toContain(`${bag.name}/${FEATURE_WEIGHTS}`);
    const w3 = 1 * 2;
    const w4 = (1 + Math.log(3)) * 0.5;
    const norm = Math.hypot(w3, w4);
    const expected = [0, 1].map((d) => (w3 * e[3]![d]! + w4 * e[4]![d]!) / norm);
    const got = out.arraySync() as number[][];
    expected.forEach((v, d) => expect(got[0]![d]!).toBeCloseTo(v, 5));
    tf.dispose([ids, out]);
  });

  it('averages the softmax outputs of its towers into one distribution, and one tower keeps the plain names', () => {
    const model = buildTextBag({ vocabSize: 10, sequenceLength: 4, classes: 3, embeddingDim: 4, towers: 3, seed: 5 });
    const x = tf.tensor2d([[3, 4, 0, 0]], [1, 4], 'int32');
    const y = model.predict(x) as tf.Tensor;
    const p = (y.arraySync() as number[][])[0]!;
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(model.layers.filter((l) => l instanceof EmbeddingBag)).toHaveLength(3);
    const single = buildTextBag({ vocabSize: 10, sequenceLength: 4, classes: 3, embeddingDim: 4 });
    expect(single.layers.map((l) => l.name)).toEqual(['features', 'embedding_bag', 'probabilities']);
    tf.dispose([x, y]);
    model.dispose();
    single.dispose();
  });
});
