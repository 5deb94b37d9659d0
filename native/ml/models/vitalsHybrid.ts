import * as tf from '@tensorflow/tfjs';
import { ensembleOutput } from './towers.js';

/** Options of the hybrid vital-sign risk model. */
export interface VitalsHybridOptions {
  /** Hourly bins per stay (the sequence rows of the input). */
  timeSteps: number;
  /** Inputs per bin (values, masks, time since last seen); also the width of the summary rows. */
  features: number;
  /** Rows after the sequence holding the per-stay summary vector, row-major, zero-padded. */
  summaryRows: number;
  classes: number;
  /** Which branches feed the head: both, the GRU over bins only, or the summary MLP only. */
  branches?: 'both' | 'sequence' | 'summary';
  /** GRU units (sequence branch). */
  units?: number;
  /** Hidden units of the summary MLP. */
  hidden?: number;
  /**
   * Independently initialised copies of the network whose probabilities are averaged (an ensemble
   * inside one Layers model); 1 = a single network.
   */
  towers?: number;
  /** Dropout rate after the hidden layers (seeded; 0 = none). */
  dropout?: number;
  seed?: number;
}

/**
 * One Layers model with two branches over one input tensor of shape [timeSteps + summaryRows,
 * features]: the first `timeSteps` rows are hourly bins read by a GRU; the remaining rows hold the
 * stay's summary features (per-variable min/max/mean/first/last/count and statics) read by an MLP.
 * The branches are cut out with Cropping2D (a standard, serialisable layer), so the model saves
 * and loads as plain tfjs Layers and the engine keeps passing a single input tensor.
 */
export function buildVitalsHybrid(options: VitalsHybridOptions): tf.LayersModel {
  const {
    timeSteps,
    features,
    summaryRows,
    classes,
    branches = 'both',
    units = 32,
    hidden = 64,
    towers = 1,
    dropout = 0,
    seed = 1,
  } = options;
  const input = tf.input({ shape: [timeSteps + summaryRows, features], name: 'stay' });
  const grid = tf.layers.reshape({ targetShape: [timeSteps + summaryRows, features, 1], name: 'grid' }).apply(input);
  const tower = (t: number): tf.SymbolicTensor => {
    // Each tower has its own seeds and layer names (suffix) so the towers start apart.
    const s = seed + 100 * t;
    const sfx = t === 0 ? '' : `_${t}`;
    const parts: tf.SymbolicTensor[] = [];
    if (branches !== 'summary') {
      const cropped = tf.layers
        .cropping2D({
          cropping: [
            [0, summaryRows],
            [0, 0],
          ],
          name: `bins${sfx}`,
        })
        .apply(grid);
      const seq = tf.layers.reshape({ targetShape: [timeSteps, features], name: `bins_seq${sfx}` }).apply(cropped);
      parts.push(
        tf.layers
          .gru({
            units,
            kernelInitializer: tf.initializers.glorotUniform({ seed: s + 1 }),
            recurrentInitializer: tf.initializers.orthogonal({ seed: s + 2 }),
            name: `gru${sfx}`,
          })
          .apply(seq) as tf.SymbolicTensor,
      );
    }
    if (branches !== 'sequence') {
      const cropped = tf.layers
        .cropping2D({
          cropping: [
            [timeSteps, 0],
            [0, 0],
          ],
          name: `summary${sfx}`,
        })
        .apply(grid);
      let h = tf.layers.flatten({ name: `summary_flat${sfx}` }).apply(cropped) as tf.SymbolicTensor;
      h = tf.layers
        .dense({
          units: hidden,
          activation: 'relu',
          kernelInitializer: tf.initializers.heNormal({ seed: s + 3 }),
          name: `summary_dense${sfx}`,
        })
        .apply(h) as tf.SymbolicTensor;
      if (dropout > 0)
        h = tf.layers
          .dropout({ rate: dropout, seed: s + 4, name: `summary_dropout${sfx}` })
          .apply(h) as tf.SymbolicTensor;
      parts.push(h);
    }
    let joined =
      parts.length === 1
        ? parts[0]!
        : (tf.layers.concatenate({ name: `join${sfx}` }).apply(parts) as tf.SymbolicTensor);
    joined = tf.layers
      .dense({
        units: Math.max(8, Math.round(hidden / 2)),
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: s + 5 }),
        name: `head_dense${sfx}`,
      })
      .apply(joined) as tf.SymbolicTensor;
    return tf.layers
      .dense({
        units: classes,
        activation: 'softmax',
        kernelInitializer: tf.initializers.glorotUniform({ seed: s + 6 }),
        name: towers === 1 ? 'probabilities' : `probabilities_${t}`,
      })
      .apply(joined) as tf.SymbolicTensor;
  };
  const outs = Array.from({ length: towers }, (_, t) => tower(t));
  return tf.model({ inputs: input, outputs: ensembleOutput(outs), name: 'vitals_hybrid' });
}
