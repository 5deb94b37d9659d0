import * as tf from '@tensorflow/tfjs';
import { seededRandom, shuffledIndices } from '../random.js';
import { memberOutputsModel } from '../models/towers.js';
import { batchLoss, correctCount, type LossKind } from './losses.js';

/** Inputs and targets held in memory, first dimension = samples. */
export interface Dataset {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/** Hyper-parameters of one training run. */
export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly seed: number;
  readonly loss: LossKind;
  /** Per-class loss weights (classification), e.g. inverse class frequency. */
  readonly classWeights?: readonly number[];
  /** Stop after this many epochs without validation-loss improvement (needs validation data). */
  readonly patience?: number;
  /** Multiply the learning rate by this factor after every epoch (1 = constant). */
  readonly lrDecay?: number;
  /** Applied to every training batch's inputs (augmentation), never to validation data. */
  readonly augment?: (x: tf.Tensor) => tf.Tensor;
  /**
   * The model's output is an Average layer over member networks (towers): train each member on its
   * own loss (the mean of the members' losses) instead of the loss of their average. Validation loss,
   * early stopping and accuracy still read the averaged output.
   */
  readonly memberLoss?: boolean;
  /**
   * Decoupled weight decay (AdamW): after every step each kernel and embedding matrix (not biases) is
   * multiplied by 1 - learningRate x weightDecay. 0 or absent: none.
   */
  readonly weightDecay?: number;
  /**
   * Training targets become (1 - e) x one-hot + e / classes (classification). Validation loss keeps
   * one-hot targets, so the reported training loss has a floor (the smoothed targets' entropy) that
   * validation loss does not.
   */
  readonly labelSmoothing?: number;
}

/** One progress report: after a batch (`phase: 'batch'`) or after an epoch with validation figures. */
export interface TrainProgress {
  readonly phase: 'batch' | 'epoch';
  /** 1-based. */
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  readonly batches: number;
  /** Mean training loss over the epoch so far. */
  readonly loss: number;
  /** `accuracy` (classification), and after an epoch `valLoss`/`valAccuracy` when validating. */
  readonly metrics: Readonly<Record<string, number>>;
  readonly samplesPerSec: number;
  /** Estimated time to finish all epochs. */
  readonly etaMs: number;
}

/** Callbacks of a training run; the loop never reports any other way. */
export interface TrainCallbacks {
  onProgress?(progress: TrainProgress): void;
  /** Polled before every batch; returning true ends the run after at most the current batch. */
  shouldStop?(): boolean;
}

/** What a training run did. */
export interface TrainOutcome {
  readonly cancelled: boolean;
  readonly epochsCompleted: number;
  /** Epoch (1-based) whose weights the model holds at the end: the best on validation, else the last. */
  readonly bestEpoch: number;
  readonly history: Readonly<Record<string, number[]>>;
}

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
}

/** Mean loss and accuracy of `model` over `data`, in batches, without training. */
export function evaluateLoss(
  model: tf.LayersModel,
  data: Dataset,
  kind: LossKind,
  batchSize: number,
): { loss: number; accuracy?: number } {
  const n = data.x.shape[0]!;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    tf.tidy(() => {
      const xb = data.x.slice(start, size);
      const yb = data.y.slice(start, size);
      const pred = model.apply(xb, { training: false }) as tf.Tensor;
      lossSum += batchLoss(kind, yb, pred).dataSync()[0]! * size;
      if (kind === 'categorical') correct += correctCount(yb, pred);
    });
  }
  return kind === 'categorical' ? { loss: lossSum / n, accuracy: correct / n } : { loss: lossSum / n };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Mini-batch training with Adam, seeded shuffling, optional class weights, per-epoch learning-rate
 * decay, validation after every epoch, early stopping and best-checkpoint restore. Every batch
 * runs inside tidy (no tensors survive it) and yields to the event loop, so a cancel message is
 * seen before the next batch starts.
 */
export async function trainLoop(
  model: tf.LayersModel,
  train: Dataset,
  options: TrainOptions,
  callbacks: TrainCallbacks = {},
  validation?: Dataset,
): Promise<TrainOutcome> {
  const n = train.x.shape[0]!;
  const batches = Math.ceil(n / options.batchSize);
  const random = seededRandom(options.seed);
  const optimizer = tf.train.adam(options.learningRate);
  const variables = trainableVariables(model);
  const members = options.memberLoss === true ? memberOutputsModel(model) : null;
  const decay = options.weightDecay ?? 0;
  const decayed = decay > 0 ? variables.filter((v) => v.shape.length >= 2) : [];
  // One batch's loss: of the model's output, or the mean of the members' own losses.
  const lossOf = (xb: tf.Tensor, yb: tf.Tensor): tf.Scalar => {
    if (members === null) {
      const pred = model.apply(xb, { training: true }) as tf.Tensor;
      // Read here: minimize disposes every intermediate, predictions included.
      if (options.loss === 'categorical') correct += correctCount(yb, pred);
      return batchLoss(options.loss, yb, pred, options.classWeights, options.labelSmoothing);
    }
    const preds = members.apply(xb, { training: true }) as tf.Tensor[];
    if (options.loss === 'categorical') correct += correctCount(yb, tf.addN(preds));
    return tf.div(
      tf.addN(preds.map((p) => batchLoss(options.loss, yb, p, options.classWeights, options.labelSmoothing))),
      preds.length,
    ) as tf.Scalar;
  };
  let correct = 0;
  const history: Record<string, number[]> = { loss: [] };
  let best: { loss: number; epoch: number; weights: tf.Tensor[] } | null = null;
  let sinceBest = 0;
  let epochsCompleted = 0;
  let cancelled = false;
  const started = performance.now();
  let samplesSeen = 0;
  try {
    for (let epoch = 1; epoch <= options.epochs && !cancelled; epoch++) {
      const order = shuffledIndices(n, random);
      let lossSum = 0;
      correct = 0;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        if (callbacks.shouldStop?.() === true) {
          cancelled = true;
          break;
        }
        const ids = order.subarray(b * options.batchSize, Math.min(n, (b + 1) * options.batchSize));
        const size = ids.length;
        tf.tidy(() => {
          const idx = tf.tensor1d(ids, 'int32');
          const gathered = tf.gather(train.x, idx);
          const xb = options.augment !== undefined ? options.augment(gathered) : gathered;
          const yb = tf.gather(train.y, idx);
          const cost = optimizer.minimize(() => lossOf(xb, yb), true, variables);
          if (decayed.length > 0) {
            const keep = 1 - (optimizer as unknown as { learningRate: number }).learningRate * decay;
            for (const v of decayed) v.assign(tf.mul(v, keep));
          }
          lossSum += cost!.dataSync()[0]! * size;
        });
        seen += size;
        samplesSeen += size;
        const elapsed = performance.now() - started;
        const doneBatches = (epoch - 1) * batches + b + 1;
        const progress: TrainProgress = {
          phase: 'batch',
          epoch,
          epochs: options.epochs,
          batch: b + 1,
          batches,
          loss: lossSum / seen,
          metrics: options.loss === 'categorical' ? { accuracy: correct / seen } : {},
          samplesPerSec: (samplesSeen * 1000) / Math.max(elapsed, 1e-3),
          etaMs: (elapsed / doneBatches) * (options.epochs * batches - doneBatches),
        };
        callbacks.onProgress?.(progress);
        await yieldToEventLoop();
      }
      if (cancelled) break;
      epochsCompleted = epoch;
      const metrics: Record<string, number> = {};
      if (options.loss === 'categorical') metrics.accuracy = correct / seen;
      history.loss!.push(lossSum / seen);
      if (metrics.accuracy !== undefined) (history.accuracy ??= []).push(metrics.accuracy);
      let monitored = lossSum / seen;
      if (validation !== undefined) {
        const v = evaluateLoss(model, validation, options.loss, options.batchSize);
        metrics.valLoss = v.loss;
        (history.valLoss ??= []).push(v.loss);
        if (v.accuracy !== undefined) {
          metrics.valAccuracy = v.accuracy;
          (history.valAccuracy ??= []).push(v.accuracy);
        }
        monitored = v.loss;
      }
      if (best === null || monitored < best.loss) {
        if (best !== null) tf.dispose(best.weights);
        best = { loss: monitored, epoch, weights: model.getWeights().map((w) => w.clone()) };
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      const elapsed = performance.now() - started;
      callbacks.onProgress?.({
        phase: 'epoch',
        epoch,
        epochs: options.epochs,
        batch: batches,
        batches,
        loss: lossSum / seen,
        metrics,
        samplesPerSec: (samplesSeen * 1000) / Math.max(elapsed, 1e-3),
        etaMs: (elapsed / epoch) * (options.epochs - epoch),
      });
      if (validation !== undefined && options.patience !== undefined && sinceBest > options.patience) break;
      if (options.lrDecay !== undefined && options.lrDecay !== 1)
        (optimizer as unknown as { learningRate: number }).learningRate *= options.lrDecay;
    }
    const restoreBest = validation !== undefined && best !== null && !cancelled;
    if (restoreBest) model.setWeights(best!.weights);
    return { cancelled, epochsCompleted, bestEpoch: restoreBest ? best!.epoch : epochsCompleted, history };
  } finally {
    if (best !== null) tf.dispose(best.weights);
    optimizer.dispose();
  }
}
