/**
 * The word-sequence architectures issue #7 names for abstract-condition, measured on the recipe's own
 * tuning fold (278 of the training abstracts, seed 2; the validation split is not read): a CNN over
 * word n-grams (Kim 2014: embedding, parallel 1-D convolutions, max over time, dropout, softmax) and
 * the engine's biLSTM (`text-bilstm`, the fused LSTM kernel), both trained from scratch on the other
 * 1,570 training abstracts with the shipped model's class weights (inverse frequency to the power
 * 0.5), Adam and batch 32. Prints macro-F1, accuracy, log loss and ECE on the tuning fold after every
 * epoch, then the best epoch per setting, for comparison with the n-gram bag's 0.603 on the same fold
 * (the card's model selection).
 *
 *   node --import tsx tests/bench/abstractArchitectures.ts ['[{"arch":"cnn"},{"arch":"lstm"}]']
 *
 * A setting may override: arch (cnn | lstm), embeddingDim, filters, widths, units, sequenceLength,
 * dropout, embeddingDropout, epochs, learningRate. The CNN is built here with tf.layers on the backend
 * the engine selects (wasm here, with Osler's gradient kernels): it is a comparison, not a model the app
 * ships, so it has no engine family of its own. Dropout masks and tf.layers' shuffling are not seeded
 * (a seeded tf.layers dropout draws the same mask at every step), so figures vary by about 0.01 between runs.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { selectBackend } from '../../native/ml/backend.js';
import { evaluateClassification, inverseFrequencyWeights } from '../../native/ml/eval/index.js';
import { buildTextBilstm } from '../../native/ml/models/textBilstm.js';
import {
  ABSTRACT_CONDITION_DEFAULTS,
  readAbstractCorpus,
  TUNING_FRACTION,
  VALIDATION_FRACTION,
} from '../../native/ml/starter/abstractCondition.js';
import { buildEncoding, encodeNotes } from '../../native/ml/text/tokenizer.js';
import { splitByPatient } from '../../native/ml/train/split.js';

interface Setting {
  arch: 'cnn' | 'lstm';
  embeddingDim?: number;
  filters?: number;
  widths?: number[];
  units?: number;
  sequenceLength?: number;
  dropout?: number;
  embeddingDropout?: number;
  epochs?: number;
  learningRate?: number;
}

const SEED = 1;
const dataRoot = process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const settings = JSON.parse(process.argv[2] ?? '[{"arch":"cnn"},{"arch":"lstm"}]') as Setting[];
const backend = await selectBackend();
console.log(`abstract_arch backend: ${backend.name}`);

const { classes, texts, labels, rowIds } = await readAbstractCorpus(dataRoot);
const k = classes.length;
// The recipe's splits: validation (seed 1) is set aside untouched; the tuning fold is seed 2.
const trainRows = splitByPatient(rowIds, labels, VALIDATION_FRACTION, SEED).train;
const inner = splitByPatient(
  trainRows.map((i) => rowIds[i]!),
  trainRows.map((i) => labels[i]!),
  TUNING_FRACTION,
  SEED + 1,
);
const fitRows = inner.train.map((j) => trainRows[j]!);
const tuneRows = inner.validation.map((j) => trainRows[j]!);
const tuneLabels = Int32Array.from(tuneRows.map((i) => labels[i]!));

function buildCnn(s: Required<Setting>, vocabSize: number): tf.LayersModel {
  const input = tf.input({ shape: [s.sequenceLength], dtype: 'int32' });
  const embedded = tf.layers
    .embedding({
      inputDim: vocabSize,
      outputDim: s.embeddingDim,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: SEED }),
    })
    .apply(input) as tf.SymbolicTensor;
  const dropped = tf.layers.spatialDropout1d({ rate: s.embeddingDropout }).apply(embedded) as tf.SymbolicTensor;
  const pooled = s.widths.map((width, i) => {
    const conv = tf.layers
      .conv1d({
        filters: s.filters,
        kernelSize: width,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 10 + i }),
      })
      .apply(dropped) as tf.SymbolicTensor;
    return tf.layers.globalMaxPooling1d({}).apply(conv) as tf.SymbolicTensor;
  });
  const joined = pooled.length > 1 ? (tf.layers.concatenate().apply(pooled) as tf.SymbolicTensor) : pooled[0]!;
  const hidden = tf.layers.dropout({ rate: s.dropout }).apply(joined) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: k,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: SEED + 3 }),
    })
    .apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output });
}

for (const setting of settings) {
  const s: Required<Setting> = {
    embeddingDim: 64,
    filters: 64,
    widths: [2, 3, 4],
    units: 64,
    sequenceLength: setting.arch === 'lstm' ? 256 : 320,
    dropout: 0.5,
    embeddingDropout: 0.2,
    epochs: setting.arch === 'lstm' ? 10 : 12,
    learningRate: ABSTRACT_CONDITION_DEFAULTS.learningRate,
    ...setting,
  };
  const encoding = buildEncoding(
    fitRows.map((i) => texts[i]!),
    { sequenceLength: s.sequenceLength, minCount: 2, maxSize: 30_000 },
  );
  const ids = (rows: number[]) =>
    tf.tensor2d(
      encodeNotes(
        encoding,
        rows.map((i) => texts[i]!),
      ),
      [rows.length, s.sequenceLength],
      'int32',
    );
  const model =
    s.arch === 'lstm'
      ? buildTextBilstm({
          vocabSize: encoding.vocabulary.length,
          sequenceLength: s.sequenceLength,
          classes: k,
          embeddingDim: s.embeddingDim,
          units: s.units,
          seed: SEED,
        })
      : buildCnn(s, encoding.vocabulary.length);
  model.compile({ optimizer: tf.train.adam(s.learningRate), loss: 'categoricalCrossentropy' });
  const weights = inverseFrequencyWeights(
    fitRows.map((i) => labels[i]!),
    k,
  ).map((w) => w ** ABSTRACT_CONDITION_DEFAULTS.classWeightPower);
  const x = ids(fitRows);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(fitRows.map((i) => labels[i]!)), 'int32'), k).toFloat();
  const xTune = ids(tuneRows);
  let best = { macroF1: -1, epoch: 0, logLoss: 0 };
  const started = performance.now();
  for (let epoch = 1; epoch <= s.epochs; epoch++) {
    await model.fit(x, y, {
      epochs: 1,
      batchSize: ABSTRACT_CONDITION_DEFAULTS.batchSize,
      shuffle: true,
      classWeight: Object.fromEntries(weights.map((w, c) => [c, w])),
      verbose: 0,
    });
    const probs = tf.tidy(() => (model.predict(xTune, { batchSize: 128 }) as tf.Tensor).dataSync() as Float32Array);
    const r = evaluateClassification(Float32Array.from(probs), tuneLabels, classes, { bootstrap: 0, seed: SEED });
    console.log(
      `  ${s.arch} epoch ${epoch}: macroF1 ${r.macroF1.toFixed(4)}, accuracy ${r.accuracy.toFixed(4)}, logLoss ${r.logLoss.toFixed(4)}, ece ${r.ece.toFixed(4)}`,
    );
    if (r.macroF1 > best.macroF1) best = { macroF1: r.macroF1, epoch, logLoss: r.logLoss };
  }
  tf.dispose([x, y, xTune]);
  model.dispose();
  console.log(
    `abstract_arch ${JSON.stringify(setting)}: tuning-fold best macroF1 ${best.macroF1.toFixed(4)} at epoch ${best.epoch} (logLoss ${best.logLoss.toFixed(4)}), ` +
      `${encoding.vocabulary.length} words, ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
}
