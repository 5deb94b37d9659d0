import * as tf from '@tensorflow/tfjs';
import { FusedLstm } from './fusedLstm.js';

/** Options of the Embedding + biLSTM + Dense softmax note classifier. */
export interface TextBilstmOptions {
  vocabSize: number;
  /** Token ids per note after truncation/padding. */
  sequenceLength: number;
  classes: number;
  embeddingDim?: number;
  units?: number;
  bidirectional?: boolean;
  seed?: number;
}

/** Name of the embedding layer, whose output integrated gradients attribute over. */
export const TEXT_EMBEDDING_LAYER = 'embedding';

/** The classic clinical-text baseline: Embedding -> (bi)LSTM -> Dense softmax. */
export function buildTextBilstm(options: TextBilstmOptions): tf.LayersModel {
  const { vocabSize, sequenceLength, classes, embeddingDim = 64, units = 64, bidirectional = true, seed = 1 } = options;
  const m = tf.sequential({ name: 'text_bilstm' });
  m.add(
    tf.layers.embedding({
      inputDim: vocabSize,
      outputDim: embeddingDim,
      inputLength: sequenceLength,
      embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed }),
      name: TEXT_EMBEDDING_LAYER,
    }),
  );
  // One fused layer for both directions (see fusedLstm.ts): the model stays a chain, which the
  // integrated-gradients explainer relies on, and trains several times faster than tf.layers.lstm.
  m.add(new FusedLstm({ units, bidirectional, seed: seed + 1, name: bidirectional ? 'bilstm' : 'lstm' }));
  m.add(
    tf.layers.dense({
      units: classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 3 }),
      name: 'probabilities',
    }),
  );
  return m;
}
