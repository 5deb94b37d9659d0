import * as tf from '@tensorflow/tfjs';

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
  /** Pooling: `mean` divides the summed embeddings by the feature count, `sqrt` by its square root. */
  pooling?: 'mean' | 'sqrt';
  seed?: number;
}

/** Name of the embedding-bag layer (per-feature embeddings, averaged over the note's features). */
export const TEXT_BAG_LAYER = 'embedding_bag';

interface EmbeddingBagArgs {
  inputDim: number;
  outputDim: number;
  featureDropout?: number;
  pooling?: 'mean' | 'sqrt';
  seed?: number;
  name?: string;
}

/**
 * Looks up an embedding per feature id and averages them over the non-padding ids (id 0 is
 * padding and never counts), giving one vector per note whatever its length. With
 * `featureDropout`, training steps drop that fraction of each note's features; the draws come
 * from `seed` plus a per-call counter, so a run with the same seed and data repeats exactly.
 */
export class EmbeddingBag extends tf.layers.Layer {
  static className = 'OslerEmbeddingBag';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly featureDropout: number;
  readonly pooling: 'mean' | 'sqrt';
  readonly seed: number;
  #embeddings: tf.LayerVariable | null = null;
  #calls = 0;

  constructor(args: EmbeddingBagArgs) {
    super({ name: args.name ?? TEXT_BAG_LAYER });
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.featureDropout = args.featureDropout ?? 0;
    this.pooling = args.pooling ?? 'mean';
    this.seed = args.seed ?? 1;
  }

  override build(): void {
    this.#embeddings = this.addWeight(
      'embeddings',
      [this.inputDim, this.outputDim],
      'float32',
      tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed }),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0] ?? null, this.outputDim];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const ids = (Array.isArray(inputs) ? inputs[0]! : inputs).toInt();
      let mask = tf.cast(tf.notEqual(ids, 0), 'float32');
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
    seed = 1,
  } = options;
  const m = tf.sequential({ name: 'text_bag' });
  m.add(tf.layers.inputLayer({ inputShape: [sequenceLength], dtype: 'int32', name: 'features' }));
  m.add(new EmbeddingBag({ inputDim: vocabSize, outputDim: embeddingDim, featureDropout, pooling, seed }));
  if (hidden > 0)
    m.add(
      tf.layers.dense({
        units: hidden,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: seed + 1 }),
        name: 'hidden',
      }),
    );
  m.add(
    tf.layers.dense({
      units: classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
      name: 'probabilities',
    }),
  );
  return m;
}
