/**
 * Model selection for icu-mortality without touching its validation split: K-fold cross-validation
 * on the recipe's training split (split seed 1), preprocessing fitted inside each fold, printing each
 * fold's AUC and the pooled out-of-fold AUC and ECE per setting.
 *
 *   node --import tsx tests/bench/icuCv.ts '[{"towers":3},{"towers":16,"towerTraining":"independent","dropout":0.5,"epochs":4}]'
 *
 * Each setting: towers, towerTraining ('joint' | 'independent'), hidden, dropout, epochs, learningRate,
 * members (separately trained models averaged outside the model). Defaults are the 1.0.0 settings.
 */
import { join } from 'node:path';
import { EngineClient } from '../../native/ml/engine/client.js';
import { evaluateClassification } from '../../native/ml/eval/index.js';
import type { BundleMetadata } from '../../native/ml/bundle.js';
import { modelSpecSchema } from '../../native/ml/models/index.js';
import { fitRiskInput, ICU_HOURS, ICU_OUTCOME } from '../../native/ml/starter/icuMortality.js';
import { subsetOf } from '../../native/ml/tasks/types.js';
import { encodeRiskSet } from '../../native/ml/tasks/vitals.js';
import { PHYSIONET2012_PATH } from '../../native/ml/vitals/physionetCard.js';
import { stratifiedFolds } from '../../native/ml/train/split.js';
import { readPhysioNetSet, stratifiedPatientSplit } from '../../native/ml/vitals/physionetSet.js';

interface Setting {
  towers?: number;
  towerTraining?: 'joint' | 'independent';
  hidden?: number;
  dropout?: number;
  epochs?: number;
  learningRate?: number;
  members?: number;
}

const FOLDS = 5;
const dataRoot = process.env.OSLER_DATA ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const settings = JSON.parse(process.argv[2] ?? '[{}]') as Setting[];

const set = readPhysioNetSet(join(dataRoot, PHYSIONET2012_PATH));
const stays = set.stays.filter((s) => set.outcomes?.get(s.descriptors.recordId)?.[ICU_OUTCOME] !== undefined);
const ids = stays.map((s) => s.descriptors.recordId);
const labels = Int32Array.from(ids.map((id) => Number(set.outcomes!.get(id)![ICU_OUTCOME])));
const trainRows = stratifiedPatientSplit(ids, labels, 0.2, 1).train;

// Stratified folds of the training split.
const foldOf = stratifiedFolds(labels, trainRows, FOLDS, 11);

function encode(fitRows: number[], testRows: number[]) {
  const { input, features, summaryRows } = fitRiskInput(fitRows.map((i) => stays[i]!));
  const draft = {
    name: 'icu-cv',
    task: 'vitals-risk',
    outputs: ['survived', 'died'],
    input,
  } as unknown as BundleMetadata;
  const rows = [...fitRows, ...testRows];
  const all = encodeRiskSet(
    draft,
    rows.map((i) => stays[i]!),
    rows.map((i) => ids[i]!),
    set.outcomes,
  );
  // The encoded set holds the fit rows first, then the test rows.
  const fit = subsetOf(
    all,
    fitRows.map((_, j) => j),
  );
  const test = subsetOf(
    all,
    testRows.map((_, j) => fitRows.length + j),
  );
  return { features, summaryRows, fit: { x: fit.x, y: fit.y! }, testX: test.x };
}

const engine = await EngineClient.start();
try {
  for (const s of settings) {
    const oof = new Float32Array(stays.length * 2);
    const members = s.members ?? 1;
    const foldAucs: string[] = [];
    for (let f = 0; f < FOLDS; f++) {
      const fitRows = trainRows.filter((i) => foldOf[i] !== f);
      const testRows = trainRows.filter((i) => foldOf[i] === f);
      const { features, summaryRows, fit, testX } = encode(fitRows, testRows);
      const mean = new Float32Array(testRows.length * 2);
      for (let m = 0; m < members; m++) {
        const seed = 1 + 1000 * m;
        const spec = modelSpecSchema.parse({
          family: 'vitals-hybrid',
          timeSteps: ICU_HOURS,
          features,
          summaryRows,
          classes: 2,
          branches: 'summary',
          hidden: s.hidden ?? 64,
          towers: s.towers ?? 3,
          ...((s.towers ?? 3) > 1 ? { towerTraining: s.towerTraining ?? 'joint' } : {}),
          ...(s.dropout ? { dropout: s.dropout } : {}),
          seed,
        });
        const modelId = `icu-cv-${f}-${m}`;
        const options = {
          epochs: s.epochs ?? 2,
          batchSize: 64,
          learningRate: s.learningRate ?? 0.002,
          seed,
          lrDecay: 0.95,
        };
        await engine.train({ modelId, spec, train: fit, options }).result;
        const p = (await engine.predict({ modelId, x: testX, batchSize: 256 }).result).y.values as Float32Array;
        p.forEach((v, i) => (mean[i]! += v / members));
        await engine.dispose(modelId);
      }
      testRows.forEach((r, k) => oof.set(mean.subarray(k * 2, k * 2 + 2), r * 2));
      const report = evaluateClassification(mean, Int32Array.from(testRows.map((i) => labels[i]!)), ['s', 'd'], {
        bootstrap: 0,
        seed: 1,
        positiveClass: 1,
      });
      foldAucs.push(report.auc.toFixed(4));
    }
    const pooled = new Float32Array(trainRows.length * 2);
    trainRows.forEach((r, k) => pooled.set(oof.subarray(r * 2, r * 2 + 2), k * 2));
    const report = evaluateClassification(pooled, Int32Array.from(trainRows.map((i) => labels[i]!)), ['s', 'd'], {
      bootstrap: 0,
      seed: 1,
      positiveClass: 1,
    });
    console.log(
      `icu_cv ${JSON.stringify(s)}: folds ${foldAucs.join(' ')}; out-of-fold auc: ${report.auc.toFixed(4)}, ece: ${report.ece.toFixed(4)}`,
    );
  }
} finally {
  await engine.close();
}
