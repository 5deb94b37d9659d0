import * as tf from '@tensorflow/tfjs';
import { ensembleOutput } from './towers.js';

/** Options of the bag-of-n-gram-embeddings note classifier (fastText-style). */
export interface TextBagOptions {
  /** Feature vocabulary size (words, word n-grams, character n-grams; id 0 = padding). */
  vocabSize: number;
  /** Feature ids per note after truncation/padding. */
  sequenceLength: number;
  classes: number;
  embeddingDim?: number;
  /** Hidden units between the pooled embedding and the softmax; 0 = linear (fastText). */
  hidden?: number;
  /** Training only: fraction of a note's features dropped per step (seeded, reproducible). */
  featureDropout?: number;
  /**
   * Pooling: `mean` divides the summed embeddings by the feature count, `sqrt` by its square root,
   * `l2` by the L2 norm of the note's feature weights (a TF-IDF vector's normalisation).
   */
  pooling?: TextBagPooling;
  /**
   * When > 0 each input value is `featureId * countBase + count` (count of that feature in the note,
   * capped at `countBase - 1`), and a feature weighs `(1 + ln count) * featureWeights[id]`
   * (sublinear TF-IDF); 0 = plain feature ids, each weighing 1.
   */
  countBase?: number;
  /** Per-feature weights (e.g. inverse document frequency), length `vocabSize`; stored in the weights file. */
  featureWeights?: readonly number[];
  /** Independently initialised bags (each with its own softmax) whose probabilities are averaged. */
  towers?: number;
  seed?: number;
}

/** How an embedding bag normalises the sum of its features' embeddings. */
export type TextBagPooling = 'mean' | 'sqrt' | 'l2';

/** Name of the embedding-bag layer (per-feature embeddings, averaged over the note's features). */
export const TEXT_BAG_LAYER = 'embedding_bag';

interface EmbeddingBagArgs {
  inputDim: number;
  outputDim: number;
  featureDropout?: number;
  pooling?: TextBagPooling;
  countBase?: number;
  featureWeights?: readonly number[];
  seed?: number;
  name?: string;
}

/** Name of the embedding bag's per-feature weight vector (non-trainable; present when `countBase` > 0). */
export const FEATURE_WEIGHTS = 'feature_weights';

/**
 * Looks up an embedding per feature id and averages them over the non-padding ids (id 0 is
 * padding and never counts), giving one vector per note whatever its length. With
 * `featureDropout`, training steps drop that fraction of each note's features; the draws come
 * from `seed` plus a per-call counter, so a run with the same seed and data repeats exactly.
 * With `countBase`, inputs carry each feature's count and features are weighted by sublinear TF
 * times a fixed per-feature weight (IDF), kept in a non-trainable weight so it ships in the
 * weights file rather than in the layer config.
 */
export class EmbeddingBag extends tf.layers.Layer {
  static className = 'OslerEmbeddingBag';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly featureDropout: number;
  readonly pooling: TextBagPooling;
  readonly countBase: number;
  readonly seed: number;
  readonly #initialWeights: readonly number[] | undefined;
  #embeddings: tf.LayerVariable | null = null;
  #featureWeights: tf.LayerVariable | null = null;
  #calls = 0;

  constructor(args: EmbeddingBagArgs) {
    super({ name: args.name ?? TEXT_BAG_LAYER });
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.featureDropout = args.featureDropout ?? 0;
    this.pooling = args.pooling ?? 'mean';
    this.countBase = args.countBase ?? 0;
    this.seed = args.seed ?? 1;
    this.#initialWeights = args.featureWeights;
    if (args.featureWeights !== undefined && args.featureWeights.length !== args.inputDim)
      throw new Error(`featureWeights has ${args.featureWeights.length} entries for ${args.inputDim} features`);
  }

  override build(): void {
    this.#embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }),
    );
    if (this.countBase > 0) {
      const initial = this.#initialWeights;
      this.#featureWeights = this.addWeight(
        FEATURE_WEIGHTS,
        [this.inputDim],
        'float32',
        tf.initializers.ones(),
        undefined,
        false,
      );
      if (initial !== undefined) {
        const variable = this.#featureWeights;
        tf.tidy(() => {
          variable.write(tf.tensor1d(Float32Array.from(initial)));
        });
      }
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const raw = (Array.isArray(inputs) ? inputs[0]! : inputs).toInt();
      const base = tf.scalar(Math.max(this.countBase, 1), 'int32');
      const ids = this.countBase > 0 ? tf.cast(tf.floorDiv(raw, base), 'int32') : raw;
      let mask = tf.cast(tf.notEqual(ids, 0), 'float32');
      if (this.countBase > 0) {
        const counts = tf.maximum(tf.cast(tf.mod(raw, base), 'float32'), 1);
        const tfidf = tf.mul(tf.add(tf.log(counts), 1), tf.gather(this.#featureWeights!.read(), ids));
        mask = tf.mul(mask, tfidf);
      }
      if (kwargs.training === true && this.featureDropout > 0) {
        this.#calls++;
        const keep = tf.cast(
          tf.greaterEqual(
            tf.randomUniform(ids.shape, 0, 1, 'float32', this.seed * 7919 + this.#calls),
            this.featureDropout,
          ),
          'float32',
        );
        mask = tf.mul(mask, keep);
      }
      const vectors = tf.gather(this.#embeddings!.read(), ids);
      const summed = tf.sum(tf.mul(vectors, mask.expandDims(-1)), 1);
      if (this.pooling === 'l2') return tf.div(summed, tf.maximum(tf.sqrt(tf.sum(tf.square(mask), 1, true)), 1e-6));
      const count = tf.maximum(tf.sum(mask, 1, true), 1);
      return tf.div(summed, this.pooling === 'sqrt' ? tf.sqrt(count) : count);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      featureDropout: this.featureDropout,
      pooling: this.pooling,
      countBase: this.countBase,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(EmbeddingBag);

/**
 * A fastText-style note classifier: the mean of learned embeddings of the note's features (words,
 * word bigrams, character n-grams), optionally one ReLU layer, then a softmax. Fast to train and
 * strong on small labelled sets, where recurrent models overfit.
 */
export function buildTextBag(options: TextBagOptions): tf.LayersModel {
  const {
    vocabSize,
    sequenceLength,
    classes,
    embeddingDim = 32,
    hidden = 0,
    featureDropout = 0,
    pooling = 'mean',
    countBase = 0,
    featureWeights,
    towers = 1,
    seed = 1,
  } = options;
  const tower = (t: number, input: tf.SymbolicTensor): tf.SymbolicTensor => {
    // Tower 0 keeps the single-bag names (and seeds) so a one-tower model is unchanged.
    const sfx = t === 0 ? '' : `_${t}`;
    const s = seed + 101 * t;
    let x = new EmbeddingBag({
      inputDim: vocabSize,
      outputDim: embeddingDim,
      featureDropout,
      pooling,
      countBase,
      ...(featureWeights === undefined ? {} : { featureWeights }),
      seed: s,
      name: `${TEXT_BAG_LAYER}${sfx}`,
    }).apply(input) as tf.SymbolicTensor;
    if (hidden > 0)
      x = tf.layers
        .dense({
          units: hidden,
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: s + 1 }),
          name: `hidden${sfx}`,
        })
        .apply(x) as tf.SymbolicTensor;
    return tf.layers
      .dense({
        units: classes,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: s + 2 }),
        name: towers === 1 ? 'probabilities' : `probabilities${sfx === '' ? '_0' : sfx}`,
      })
      .apply(x) as tf.SymbolicTensor;
  };
  const input = tf.input({ shape: [sequenceLength], dtype: 'int32', name: 'features' });
  const outs = Array.from({ length: towers }, (_, t) => tower(t, input));
  return tf.model({ inputs: input, outputs: ensembleOutput(outs), name: 'text_bag' });
}
