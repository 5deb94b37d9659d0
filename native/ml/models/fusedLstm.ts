import * as tf from '@tensorflow/tfjs';
import { lstmSequence, type RecurrentActivation } from '../kernels/lstm.js';

/** Options of {@link FusedLstm}. */
export interface FusedLstmArgs {
  units: number;
  /** Return every step's state [B, T, H] (or [B, T, 2H]) instead of the last one. */
  returnSequences?: boolean;
  /** Also run the sequence backwards and concatenate both final states (a bidirectional LSTM). */
  bidirectional?: boolean;
  /** Gate activation; `sigmoid` (default) as in PyTorch and Keras 3. */
  recurrentActivation?: RecurrentActivation;
  /** Seed of the weight initialisers (Glorot-uniform kernels, zero bias with forget-gate bias 1). */
  seed?: number;
  name?: string;
  inputShape?: number[];
}

interface Direction {
  kernel: tf.LayerVariable;
  recurrent: tf.LayerVariable;
  bias: tf.LayerVariable;
}

/**
 * An LSTM layer (Keras gate order i, f, c, o; tanh cell and output activations; zero initial
 * state) that runs each direction as the fused sequence kernels of `kernels/lstm.ts`: one input
 * projection for all steps, one fused kernel over the recurrence, and one product per weight
 * gradient. Numerically the same LSTM as `tf.layers.lstm` with the same weights and activation
 * (tests compare both), at a fraction of the kernel calls. With `bidirectional`, the second
 * direction reads the sequence reversed and its final state is concatenated after the first
 * (as Keras' Bidirectional(mergeMode 'concat')), inside one layer so the model stays a chain.
 */
export class FusedLstm extends tf.layers.Layer {
  static className = 'OslerFusedLstm';
  readonly units: number;
  readonly returnSequences: boolean;
  readonly bidirectional: boolean;
  readonly recurrentActivation: RecurrentActivation;
  readonly seed: number;
  private directions: Direction[] = [];

  constructor(args: FusedLstmArgs) {
    super(args as never);
    this.units = args.units;
    this.returnSequences = args.returnSequences ?? false;
    this.bidirectional = args.bidirectional ?? false;
    this.recurrentActivation = args.recurrentActivation ?? 'sigmoid';
    this.seed = args.seed ?? 1;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1];
    if (shape.length !== 3 || typeof features !== 'number')
      throw new Error(`FusedLstm expects input [batch, steps, features], got [${shape}]`);
    const H = this.units;
    const forgetBias = new Float32Array(4 * H);
    forgetBias.fill(1, H, 2 * H);
    const prefixes = this.bidirectional ? ['', 'backward_'] : [''];
    this.directions = prefixes.map((prefix, d) => ({
      kernel: this.addWeight(
        `${prefix}kernel`,
        [features, 4 * H],
        'float32',
        tf.initializers.glorotUniform({ seed: this.seed + 10 * d }),
      ),
      recurrent: this.addWeight(
        `${prefix}recurrent_kernel`,
        [H, 4 * H],
        'float32',
        tf.initializers.glorotUniform({ seed: this.seed + 10 * d + 1 }),
      ),
      bias: this.addWeight(`${prefix}bias`, [4 * H], 'float32', tf.initializers.zeros()),
    }));
    // Forget-gate bias 1 (Jozefowicz et al. 2015, Keras' unitForgetBias): keeps early gradients alive.
    tf.tidy(() => {
      for (const d of this.directions) d.bias.write(tf.tensor1d(forgetBias));
    });
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const width = this.units * (this.bidirectional ? 2 : 1);
    return this.returnSequences ? [shape[0]!, shape[1]!, width] : [shape[0]!, width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor3D;
      const [B, T, D] = x.shape;
      const H = this.units;
      // Time-major, so each step's rows are contiguous for the kernel.
      const xt = tf.transpose(x, [1, 0, 2]).reshape([T * B, D]) as tf.Tensor2D;
      const outputs = this.directions.map((w, d) => {
        const xs = d === 0 ? xt : (tf.reverse(xt.reshape([T, B, D]), 0).reshape([T * B, D]) as tf.Tensor2D);
        const xz = tf.add(tf.matMul(xs, w.kernel.read() as tf.Tensor2D), w.bias.read()).reshape([T, B, 4 * H]);
        const hs = lstmSequence(xz as tf.Tensor3D, w.recurrent.read() as tf.Tensor2D, this.recurrentActivation);
        // The backward direction's states are put back in forward time order (as Keras does).
        return this.returnSequences
          ? tf.transpose(d === 0 ? hs : tf.reverse(hs, 0), [1, 0, 2])
          : tf.slice(hs, [T - 1, 0, 0], [1, B, H]).reshape([B, H]);
      });
      return outputs.length === 1 ? outputs[0]! : tf.concat(outputs, -1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      returnSequences: this.returnSequences,
      bidirectional: this.bidirectional,
      recurrentActivation: this.recurrentActivation,
      seed: this.seed,
    };
  }
}
tf.serialization.registerClass(FusedLstm);
