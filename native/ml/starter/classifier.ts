import { BUNDLE_FORMAT, type BundleMetadata } from '../bundle.js';
import { writeBundleMetadata } from '../bundleIo.js';
import { quantizeBundle } from '../io/quantize.js';
import { writeSplitFile } from './bundleFiles.js';
import type { EngineProgress, TensorData } from '../engine/protocol.js';
import {
  applyTemperature,
  argmaxRow,
  evaluateClassification,
  fitClassOffsets,
  fitTemperature,
  type ClassificationReport,
} from '../eval/index.js';
import type { ModelSpec } from '../models/index.js';
import { seededRandom } from '../random.js';
import { stratifiedFolds } from '../train/split.js';
import { OSLER_VERSION } from '../../app/version.js';
import { subsetOf, type EncodedSet } from '../tasks/types.js';
import type { StarterContext } from './types.js';

/** The intended-use statement every starter model card carries. */
export const STARTER_INTENDED_USE = 'Decision support research, not a medical device.';

/** Bootstrap resamples for every 95% interval a starter card reports. */
export const STARTER_BOOTSTRAP = 1000;

/** A metric as stored in bundle metadata: the value and its percentile-bootstrap 95% interval. */
export interface MetricWithCi {
  value: number;
  ci95: [number, number];
}

function macroF1Of(pred: Int32Array, labels: Int32Array, k: number, weights: Int32Array | null): number {
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const fn = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    const w = weights === null ? 1 : weights[i]!;
    if (w === 0) continue;
    const y = labels[i]!;
    const p = pred[i]!;
    if (y === p) tp[y]! += w;
    else {
      fp[p]! += w;
      fn[y]! += w;
    }
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    // sklearn's default label set: classes in the labels or the predictions.
    if (tp[c]! + fp[c]! + fn[c]! === 0) continue;
    present++;
    const d = 2 * tp[c]! + fp[c]! + fn[c]!;
    sum += d === 0 ? 0 : (2 * tp[c]!) / d;
  }
  return present === 0 ? Number.NaN : sum / present;
}

function percentile(values: number[], q: number): number {
  const sorted = Float64Array.from(values).sort();
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile-bootstrap 95% intervals of accuracy and macro-F1 (items resampled with replacement,
 * seeded), to sit beside the evaluation report's AUC interval.
 */
export function bootstrapAccuracyF1(
  probs: Float32Array,
  labels: Int32Array,
  k: number,
  rounds: number,
  seed: number,
): { accuracy: [number, number]; macroF1: [number, number] } {
  const n = labels.length;
  const pred = Int32Array.from({ length: n }, (_, i) => argmaxRow(probs, k, i));
  const random = seededRandom(seed);
  const weights = new Int32Array(n);
  const acc: number[] = [];
  const f1: number[] = [];
  for (let r = 0; r < rounds; r++) {
    weights.fill(0);
    for (let j = 0; j < n; j++) weights[Math.floor(random() * n)]!++;
    let correct = 0;
    for (let i = 0; i < n; i++) if (pred[i] === labels[i]) correct += weights[i]!;
    acc.push(correct / n);
    f1.push(macroF1Of(pred, labels, k, weights));
  }
  return {
    accuracy: [percentile(acc, 0.025), percentile(acc, 0.975)],
    macroF1: [percentile(f1, 0.025), percentile(f1, 0.975)],
  };
}

/** Validation figures of a classifier, before and after temperature scaling. */
export interface CalibratedEvaluation {
  /** Report on temperature-scaled probabilities (what the shipped model outputs after scaling). */
  report: ClassificationReport;
  /** Report on the raw softmax outputs. */
  raw: ClassificationReport;
  temperature: number;
  /** Per-class decision offsets applied before the temperature, when fitted (see fitClassOffsets). */
  offsets?: number[];
  /** Metadata `metrics` record: headline figures with 95% intervals, ECE before and after. */
  metrics: Record<string, unknown>;
  /** Temperature-scaled probabilities. */
  probs: Float32Array;
}

const round = (v: number) => Math.round(v * 1e6) / 1e6;

/**
 * Evaluates validation probabilities: fits a softmax temperature on them (or applies
 * `fixedTemperature`, fitted elsewhere), reports both raw and
 * scaled figures (accuracy, macro-F1 and AUC with bootstrap 95% intervals; ECE before/after), and
 * builds the metadata `metrics` record.
 */
export function evaluateWithTemperature(
  probs: Float32Array,
  labels: Int32Array,
  classes: readonly string[],
  seed: number,
  calibration: {
    positiveClass?: number | undefined;
    /** Apply this temperature (fitted elsewhere) instead of fitting one on these items. */
    temperature?: number | undefined;
    /** Per-class decision offsets applied before the temperature. */
    offsets?: number[] | undefined;
    /** Bootstrap rounds of the 95% intervals; 0 for an interim evaluation whose intervals nobody reads (none are given). */
    bootstrap?: number;
  } = {},
): CalibratedEvaluation {
  const { positiveClass, temperature: fixedTemperature, offsets, bootstrap = STARTER_BOOTSTRAP } = calibration;
  const k = classes.length;
  const options = { bootstrap, seed, ...(positiveClass !== undefined ? { positiveClass } : {}) };
  // Only the raw point figures (ECE, log loss, macro-F1 for the log) are read: no intervals for them.
  const raw = evaluateClassification(probs, labels, [...classes], { ...options, bootstrap: 0 });
  // softmax((log p + b) / T) = softmax(log(softmax(log p + b)) / T): T is fitted after the offsets.
  const temperature = fixedTemperature ?? fitTemperature(applyTemperature(probs, k, 1, offsets), labels, k);
  const scaled = applyTemperature(probs, k, temperature, offsets);
  const report = evaluateClassification(scaled, labels, [...classes], options);
  // Without a bootstrap there are no intervals: the figures stand alone.
  const ci = bootstrap > 0 ? bootstrapAccuracyF1(scaled, labels, k, bootstrap, seed) : null;
  const metric = (value: number, ci95: readonly number[] | undefined) =>
    ci95 === undefined ? { value: round(value) } : { value: round(value), ci95: ci95.map(round) };
  const metrics: Record<string, unknown> = {
    n: report.n,
    accuracy: metric(report.accuracy, ci?.accuracy),
    macroF1: metric(report.macroF1, ci?.macroF1),
    auc: metric(report.auc, ci === null ? undefined : report.aucCi95),
    prAuc: round(report.prAuc),
    eceBeforeTemperature: round(raw.ece),
    ece: round(report.ece),
    logLossBeforeTemperature: round(raw.logLoss),
    logLoss: round(report.logLoss),
    brier: round(report.brier),
  };
  for (const c of report.perClass) metrics[`f1.${c.className}`] = round(c.f1);
  const op = report.operatingPoint;
  if (op !== undefined) {
    metrics.threshold = op.threshold;
    metrics.sensitivity = round(op.sensitivity);
    metrics.specificity = round(op.specificity);
    metrics.ppv = round(op.ppv);
    metrics.npv = round(op.npv);
  }
  return { report, raw, temperature, ...(offsets !== undefined ? { offsets } : {}), metrics, probs: scaled };
}

/** Class counts of an encoded set, by class name. */
export function classCounts(set: EncodedSet, classes: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  for (const l of set.labels ?? []) counts[classes[l]!]!++;
  return counts;
}

/** The items of `a` followed by those of `b` (same encoding). */
export function concatSets(a: EncodedSet, b: EncodedSet): EncodedSet {
  const cat = (x: TensorData, y: TensorData): TensorData => {
    const values =
      x.dtype === 'int32'
        ? new Int32Array(x.values.length + y.values.length)
        : new Float32Array(x.values.length + y.values.length);
    values.set(x.values);
    values.set(y.values, x.values.length);
    return {
      shape: [(x.shape[0] ?? 0) + (y.shape[0] ?? 0), ...x.shape.slice(1)],
      dtype: x.dtype,
      values,
    } as TensorData;
  };
  return {
    x: cat(a.x, b.x),
    y: a.y === null || b.y === null ? null : cat(a.y, b.y),
    labels: a.labels === null || b.labels === null ? null : Int32Array.from([...a.labels, ...b.labels]),
    ids: [...a.ids, ...b.ids],
    patientIds: [...a.patientIds, ...b.patientIds],
    skipped: [...a.skipped, ...b.skipped],
  };
}

/** What {@link trainClassifier} needs beyond the encoded splits. */
export interface ClassifierRun {
  ctx: StarterContext;
  spec: ModelSpec;
  train: EncodedSet;
  /** Early stopping and the temperature fit read this split. */
  validation: EncodedSet;
  /**
   * Held-out split scored once at the end with the temperature fitted on `validation`: the
   * reported figures then come from items nothing was tuned on. Without it, `validation` is scored.
   */
  heldOut?: EncodedSet;
  /**
   * With `heldOut`: after early stopping on `validation`, retrain from scratch on `train` and
   * `validation` together for the best epoch count, keeping the temperature fitted on `validation`.
   */
  refit?: boolean;
  /**
   * With `refit`: before refitting, train this many models on folds of `train` + `validation` for the
   * best epoch count and fit per-class decision offsets (macro-F1) and the temperature on their
   * out-of-fold predictions, instead of fitting the temperature on `validation` alone.
   */
  crossFitFolds?: number;
  classes: readonly string[];
  options: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    classWeights?: number[];
    patience?: number;
    lrDecay?: number;
    augment?: {
      flipHorizontal?: boolean;
      maxRotationDeg?: number;
      maxShiftFraction?: number;
      intensityJitter?: number;
    };
  };
  positiveClass?: number;
}

/** A trained classifier still loaded in the engine, with its validation evaluation. */
export interface TrainedClassifier {
  modelId: string;
  evaluation: CalibratedEvaluation;
  /** The run the evaluation came from: its scored split (held-out, else validation) and classes. */
  run: Pick<ClassifierRun, 'classes' | 'positiveClass'> & { scored: EncodedSet };
  epochsCompleted: number;
  bestEpoch: number;
  trainingSeconds: number;
  history: Record<string, number[]>;
}

function need(set: EncodedSet, what: string): { y: TensorData; labels: Int32Array } {
  if (set.y === null || set.labels === null) throw new Error(`${what} has no labels`);
  return { y: set.y, labels: set.labels };
}

/**
 * Out-of-fold probabilities of `all` (row-major n x k): `folds` models, each trained from scratch for
 * `epochs` epochs on the other folds (class-stratified, seeded), predict their own fold.
 */
async function crossFit(
  run: ClassifierRun,
  all: EncodedSet,
  epochs: number,
  folds: number,
  modelId: string,
): Promise<Float32Array> {
  const { ctx, spec, classes } = run;
  const labels = all.labels!;
  const k = classes.length;
  const foldOf = stratifiedFolds(labels, [...labels.keys()], folds, ctx.seed * 7919);
  const oof = new Float32Array(labels.length * k);
  for (let f = 0; f < folds; f++) {
    const inFold = [...labels.keys()].filter((i) => foldOf[i] === f);
    const rest = [...labels.keys()].filter((i) => foldOf[i] !== f);
    const part = subsetOf(all, rest);
    await ctx.engine.train({
      modelId,
      spec,
      train: { x: part.x, y: part.y! },
      options: { ...run.options, epochs, patience: undefined, seed: ctx.seed + f + 1 },
    }).result;
    const p = (await ctx.engine.predict({ modelId, x: subsetOf(all, inFold).x, batchSize: 256 }).result).y
      .values as Float32Array;
    inFold.forEach((row, j) => oof.set(p.subarray(j * k, (j + 1) * k), row * k));
    ctx.log(`cross-fit fold ${f + 1}/${folds} (${rest.length} items, ${epochs} epochs)`);
  }
  await ctx.engine.dispose(modelId);
  return oof;
}

/**
 * Trains a classifier through the engine with the context's seed (best validation-loss epoch
 * kept), predicts the validation split and evaluates it with temperature scaling. The model stays
 * loaded in the engine under the returned id for saving.
 */
export async function trainClassifier(run: ClassifierRun, modelId = 'starter'): Promise<TrainedClassifier> {
  const { ctx, spec, classes } = run;
  const train = need(run.train, 'the training split');
  const validation = need(run.validation, 'the validation split');
  const started = performance.now();
  const t0 = process.cpuUsage();
  const job = ctx.engine.train(
    {
      modelId,
      spec,
      train: { x: run.train.x, y: train.y },
      validation: { x: run.validation.x, y: validation.y },
      options: { ...run.options, seed: ctx.seed },
    },
    (p: EngineProgress) => {
      if (p.phase === 'epoch')
        ctx.log(
          `epoch ${p.epoch}/${p.epochs} loss ${p.loss.toFixed(4)} ${Object.entries(p.metrics)
            .map(([k, v]) => `${k} ${v.toFixed(4)}`)
            .join(' ')} (${((performance.now() - started) / 1000).toFixed(0)} s)`,
        );
    },
  );
  const result = await job.result;
  const trainingSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(t0);
  ctx.log(
    `trained ${result.epochsCompleted} epochs, best epoch ${result.bestEpoch}, ${trainingSeconds.toFixed(0)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(0)} s CPU`,
  );
  const { y } = await ctx.engine.predict({ modelId, x: run.validation.x, batchSize: 256 }).result;
  // With a held-out split, the tuning and out-of-fold evaluations only supply the calibration (and a
  // log line): the reported figures, intervals included, are the held-out split's.
  const interim = run.heldOut !== undefined ? { bootstrap: 0 } : {};
  let evaluation = evaluateWithTemperature(y.values as Float32Array, validation.labels, classes, ctx.seed, {
    positiveClass: run.positiveClass,
    ...interim,
  });
  let epochsCompleted = result.epochsCompleted;
  if (run.heldOut !== undefined) {
    const heldOut = need(run.heldOut, 'the held-out split');
    let fittedOn = 'tuning split';
    if (run.refit === true) {
      const all = concatSets(run.train, run.validation);
      if (run.crossFitFolds !== undefined && run.crossFitFolds > 1) {
        const oof = await crossFit(run, all, result.bestEpoch, run.crossFitFolds, `${modelId}-fold`);
        const offsets = fitClassOffsets(oof, all.labels!, classes.length);
        evaluation = evaluateWithTemperature(oof, all.labels!, classes, ctx.seed, {
          positiveClass: run.positiveClass,
          offsets,
          ...interim,
        });
        fittedOn = `${run.crossFitFolds}-fold out-of-fold (offsets [${offsets.join(', ')}])`;
      }
      const again = await ctx.engine.train({
        modelId,
        spec,
        train: { x: all.x, y: all.y! },
        options: { ...run.options, epochs: result.bestEpoch, patience: undefined, seed: ctx.seed },
      }).result;
      epochsCompleted += again.epochsCompleted;
      ctx.log(`refit on ${all.ids.length} items for ${again.epochsCompleted} epochs`);
    }
    const scored = await ctx.engine.predict({ modelId, x: run.heldOut.x, batchSize: 256 }).result;
    ctx.log(
      `${fittedOn}: macroF1 ${evaluation.raw.macroF1.toFixed(4)} -> ${evaluation.report.macroF1.toFixed(4)} logLoss ${evaluation.report.logLoss.toFixed(4)} ECE ${evaluation.raw.ece.toFixed(4)} -> ${evaluation.report.ece.toFixed(4)} (T ${evaluation.temperature.toFixed(3)})`,
    );
    evaluation = evaluateWithTemperature(scored.y.values as Float32Array, heldOut.labels, classes, ctx.seed, {
      positiveClass: run.positiveClass,
      temperature: evaluation.temperature,
      offsets: evaluation.offsets,
    });
  }
  ctx.log(
    `validation: accuracy ${evaluation.report.accuracy.toFixed(4)} macroF1 ${evaluation.report.macroF1.toFixed(4)} auc ${evaluation.report.auc.toFixed(4)} ` +
      `ECE ${evaluation.raw.ece.toFixed(4)} -> ${evaluation.report.ece.toFixed(4)} (T ${evaluation.temperature.toFixed(3)})`,
  );
  return {
    modelId,
    evaluation,
    run: { classes, positiveClass: run.positiveClass, scored: run.heldOut ?? run.validation },
    epochsCompleted,
    bestEpoch: result.bestEpoch,
    trainingSeconds: (performance.now() - started) / 1000,
    history: result.history,
  };
}

/** Bundle fields a recipe supplies; the rest come from the training run. */
export type RecipeMetadata = Omit<
  BundleMetadata,
  | 'format'
  | 'temperature'
  | 'metrics'
  | 'createdAt'
  | 'oslerVersion'
  | 'seed'
  | 'trainingSeconds'
  | 'createdBy'
  | 'parent'
>;

/**
 * Saves the trained model through the engine into `ctx.outDir`, then writes metadata and card.
 * With `quantize`, the weights are stored quantized per tensor (tfjs manifest format, dequantized
 * on load) and the metrics are those of the stored model, scored again on the split the run was
 * scored on with the same calibration (the shipped figures describe the shipped weights). Returns
 * the validated metadata.
 */
export async function saveStarterBundle(
  ctx: StarterContext,
  trained: TrainedClassifier,
  fields: RecipeMetadata,
  quantize?: 'float16' | 'uint8',
  split?: unknown,
): Promise<BundleMetadata> {
  await ctx.engine.save({ modelId: trained.modelId, dir: ctx.outDir });
  if (split !== undefined) writeSplitFile(ctx.outDir, split);
  let evaluation = trained.evaluation;
  if (quantize !== undefined) {
    quantizeBundle(ctx.outDir, quantize);
    const stored = `${trained.modelId}-stored`;
    await ctx.engine.load({ modelId: stored, dir: ctx.outDir });
    const { scored, classes, positiveClass } = trained.run;
    try {
      const { y } = await ctx.engine.predict({ modelId: stored, x: scored.x, batchSize: 256 }).result;
      evaluation = evaluateWithTemperature(
        y.values as Float32Array,
        need(scored, 'the scored split').labels,
        classes,
        ctx.seed,
        { positiveClass, temperature: trained.evaluation.temperature, offsets: trained.evaluation.offsets },
      );
    } finally {
      await ctx.engine.dispose(stored);
    }
    ctx.log(
      `stored ${quantize} weights: macroF1 ${trained.evaluation.report.macroF1.toFixed(4)} -> ${evaluation.report.macroF1.toFixed(4)}, ` +
        `auc ${trained.evaluation.report.auc.toFixed(4)} -> ${evaluation.report.auc.toFixed(4)}`,
    );
  }
  const metadata: BundleMetadata = {
    format: BUNDLE_FORMAT,
    ...fields,
    temperature: evaluation.temperature,
    ...(evaluation.offsets !== undefined ? { classOffsets: evaluation.offsets } : {}),
    metrics: evaluation.metrics,
    createdBy: 'osler train-starter',
    createdAt: new Date().toISOString(),
    oslerVersion: OSLER_VERSION,
    seed: ctx.seed,
    trainingSeconds: Math.round(trained.trainingSeconds),
    parent: null,
  };
  return writeBundleMetadata(ctx.outDir, metadata);
}
