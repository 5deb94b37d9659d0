/**
 * Model selection for abstract-condition without touching its validation split: K-fold
 * cross-validation on the recipe's training split (seed 1), vocabulary and IDF fitted inside each
 * fold, a fixed epoch count; prints pooled out-of-fold macro-F1 (raw, and with decision offsets fitted
 * on the other folds as the recipe fits them), log loss and ECE (raw, and after a
 * temperature fitted on those out-of-fold predictions) per setting.
 *
 *   node --import tsx tests/bench/abstractCv.ts '[{},{"towerTraining":"independent"}]'
 *
 * OSLER_CV_DUMP=FILE writes the last setting's out-of-fold probabilities and labels as JSON.
 * A setting may override: towers, towerTraining, embeddingDim, featureDropout, classWeightPower,
 * epochs, learningRate, weightDecay, labelSmoothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BundleMetadata } from '../../native/ml/bundle.js';
import { EngineClient } from '../../native/ml/engine/client.js';
import type { TensorData } from '../../native/ml/engine/protocol.js';
import {
  applyTemperature,
  evaluateClassification,
  fitClassOffsets,
  fitTemperature,
  inverseFrequencyWeights,
} from '../../native/ml/eval/index.js';
import { modelSpecSchema } from '../../native/ml/models/index.js';
import {
  ABSTRACT_CONDITION_DEFAULTS,
  buildNgramVocabulary,
  COUNT_BASE,
  documentFrequencies,
  idfWeights,
  readAbstractCorpus,
  VALIDATION_FRACTION,
} from '../../native/ml/starter/abstractCondition.js';
import { encodeTexts, type NgramBagOptions } from '../../native/ml/tasks/text.js';
import { splitByPatient, stratifiedFolds } from '../../native/ml/train/split.js';

interface Setting {
  towers?: number;
  towerTraining?: 'joint' | 'independent';
  embeddingDim?: number;
  featureDropout?: number;
  classWeightPower?: number;
  epochs?: number;
  learningRate?: number;
  weightDecay?: number;
  labelSmoothing?: number;
}

const FOLDS = 5;
const dataRoot = process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const settings = JSON.parse(process.argv[2] ?? '[{}]') as Setting[];

const { classes, texts, labels, rowIds } = await readAbstractCorpus(dataRoot);
const k = classes.length;
const trainRows = splitByPatient(rowIds, labels, VALIDATION_FRACTION, 1).train;
const foldOf = stratifiedFolds(labels, trainRows, FOLDS, 21);
const D = ABSTRACT_CONDITION_DEFAULTS;
const bag: NgramBagOptions = {
  features: 'ngram-bag',
  wordNgrams: D.wordNgrams,
  charNgrams: D.charNgrams,
  countBase: COUNT_BASE,
};

function oneHot(rows: number[]): TensorData {
  const y = new Float32Array(rows.length * k);
  rows.forEach((r, i) => (y[i * k + labels[r]!] = 1));
  return { shape: [rows.length, k], dtype: 'float32', values: y };
}

const engine = await EngineClient.start();
try {
  for (const s of settings) {
    const started = performance.now();
    const oof = new Float32Array(texts.length * k);
    for (let f = 0; f < FOLDS; f++) {
      const fitRows = trainRows.filter((i) => foldOf[i] !== f);
      const testRows = trainRows.filter((i) => foldOf[i] === f);
      const fitTexts = fitRows.map((i) => texts[i]!);
      const df = documentFrequencies(fitTexts, bag);
      const vocabulary = buildNgramVocabulary(df, D.minDocs, D.maxFeatures);
      const featureWeights = idfWeights(vocabulary, df, fitTexts.length);
      const shell = {
        name: 'abstract-cv',
        outputs: classes,
        input: {
          kind: 'text',
          sequenceLength: D.sequenceLength,
          truncation: 'head',
          padding: 'post',
          vocabulary,
          lowercase: true,
          options: bag,
        },
      } as unknown as BundleMetadata;
      const towers = s.towers ?? D.towers;
      const spec = modelSpecSchema.parse({
        family: 'text-bag',
        vocabSize: vocabulary.length,
        sequenceLength: D.sequenceLength,
        classes: k,
        embeddingDim: s.embeddingDim ?? D.embeddingDim,
        hidden: D.hidden,
        featureDropout: s.featureDropout ?? D.featureDropout,
        pooling: D.pooling,
        countBase: COUNT_BASE,
        featureWeights,
        ...(towers > 1 ? { towers, towerTraining: s.towerTraining ?? 'joint' } : {}),
        seed: 1,
      });
      const fitLabels = Int32Array.from(fitRows.map((i) => labels[i]!));
      const power = s.classWeightPower ?? D.classWeightPower;
      const modelId = `abstract-cv-${f}`;
      await engine.train({
        modelId,
        spec,
        train: { x: encodeTexts(shell, fitTexts), y: oneHot(fitRows) },
        options: {
          epochs: s.epochs ?? 5,
          batchSize: D.batchSize,
          learningRate: s.learningRate ?? D.learningRate,
          lrDecay: D.lrDecay,
          seed: 1,
          classWeights: inverseFrequencyWeights(fitLabels, k).map((w) => w ** power),
          ...(s.weightDecay ? { weightDecay: s.weightDecay } : {}),
          ...(s.labelSmoothing ? { labelSmoothing: s.labelSmoothing } : {}),
        },
      }).result;
      const x = encodeTexts(
        shell,
        testRows.map((i) => texts[i]!),
      );
      const p = (await engine.predict({ modelId, x, batchSize: 256 }).result).y.values as Float32Array;
      testRows.forEach((r, j) => oof.set(p.subarray(j * k, (j + 1) * k), r * k));
      await engine.dispose(modelId);
    }
    const pooled = new Float32Array(trainRows.length * k);
    trainRows.forEach((r, j) => pooled.set(oof.subarray(r * k, (r + 1) * k), j * k));
    const y = Int32Array.from(trainRows.map((i) => labels[i]!));
    if (process.env.OSLER_CV_DUMP)
      writeFileSync(process.env.OSLER_CV_DUMP, JSON.stringify({ labels: Array.from(y), probs: Array.from(pooled), k }));
    const raw = evaluateClassification(pooled, y, classes, { bootstrap: 0, seed: 1 });
    const t = fitTemperature(pooled, y, k);
    const scaled = evaluateClassification(applyTemperature(pooled, k, t), y, classes, { bootstrap: 0, seed: 1 });
    // Decision offsets as the recipe fits them, nested: fitted on the other folds' predictions, applied to each fold.
    const nested = new Float32Array(pooled.length);
    for (let f = 0; f < FOLDS; f++) {
      const rest = trainRows.flatMap((r, j) => (foldOf[r] !== f ? [j] : []));
      const pick = (rows: number[]) => {
        const out = new Float32Array(rows.length * k);
        rows.forEach((j, i) => out.set(pooled.subarray(j * k, (j + 1) * k), i * k));
        return out;
      };
      const offsets = fitClassOffsets(
        pick(rest),
        Int32Array.from(rest, (j) => y[j]!),
        k,
      );
      const mine = trainRows.flatMap((r, j) => (foldOf[r] === f ? [j] : []));
      const adjusted = applyTemperature(pick(mine), k, 1, offsets);
      mine.forEach((j, i) => nested.set(adjusted.subarray(i * k, (i + 1) * k), j * k));
    }
    const withOffsets = evaluateClassification(nested, y, classes, { bootstrap: 0, seed: 1 });
    console.log(
      `abstract_cv ${JSON.stringify(s)}: out-of-fold macroF1: ${raw.macroF1.toFixed(4)} (nested decision offsets ${withOffsets.macroF1.toFixed(4)}), accuracy: ${raw.accuracy.toFixed(4)}, ` +
        `logLoss: ${raw.logLoss.toFixed(4)}, ece: ${raw.ece.toFixed(4)} -> ${scaled.ece.toFixed(4)} (T ${t.toFixed(3)}), ` +
        `${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
} finally {
  await engine.close();
}
