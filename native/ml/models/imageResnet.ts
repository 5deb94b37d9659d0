import * as tf from '@tensorflow/tfjs';

/** Options of the compact residual CNN for CT slices and radiographs. */
export interface ImageResnetOptions {
  /** Input as [height, width, channels] (channels = number of windows for CT). */
  inputShape: [number, number, number];
  classes: number;
  /** Filters of the first stage; doubled at each further stage. */
  width?: number;
  /** Residual stages, each halving the resolution. */
  stages?: number;
  seed?: number;
}

/** Name of the last convolutional activation, the layer Grad-CAM reads. */
export const IMAGE_RESNET_CAM_LAYER = 'cam_features';

function convBnRelu(
  x: tf.SymbolicTensor,
  filters: number,
  strides: number,
  seed: number,
  name: string,
  relu = true,
): tf.SymbolicTensor {
  let h = tf.layers
    .conv2d({
      filters,
      kernelSize: 3,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed }),
      name: `${name}_conv`,
    })
    .apply(x) as tf.SymbolicTensor;
  // Momentum 0.9, not Keras's 0.99: with the small datasets trained on site, the moving statistics
  // must settle within a few hundred steps or evaluation-mode predictions lag far behind training.
  h = tf.layers.batchNormalization({ momentum: 0.9, name: `${name}_bn` }).apply(h) as tf.SymbolicTensor;
  return relu ? (tf.layers.activation({ activation: 'relu', name: `${name}_relu` }).apply(h) as tf.SymbolicTensor) : h;
}

/**
 * A compact ResNet: a 3x3 stem, then per stage one residual block (two 3x3 conv-BN, with a strided
 * 1x1 projection on the shortcut when the shape changes), global average pooling and a softmax.
 * The last block's output is named {@link IMAGE_RESNET_CAM_LAYER} for Grad-CAM.
 */
export function buildImageResnet(options: ImageResnetOptions): tf.LayersModel {
  const { inputShape, classes, width = 16, stages = 3, seed = 1 } = options;
  const input = tf.input({ shape: inputShape, name: 'image' });
  let x = convBnRelu(input, width, 1, seed, 'stem');
  for (let s = 0; s < stages; s++) {
    const filters = width * 2 ** s;
    const strides = s === 0 ? 1 : 2;
    let h = convBnRelu(x, filters, strides, seed + 10 * s + 1, `s${s}_a`);
    h = convBnRelu(h, filters, 1, seed + 10 * s + 2, `s${s}_b`, false);
    let shortcut = x;
    if (strides !== 1 || (x.shape[3] ?? 0) !== filters) {
      shortcut = tf.layers
        .conv2d({
          filters,
          kernelSize: 1,
          strides,
          useBias: false,
          kernelInitializer: tf.initializers.heNormal({ seed: seed + 10 * s + 3 }),
          name: `s${s}_proj`,
        })
        .apply(x) as tf.SymbolicTensor;
    }
    h = tf.layers.add({ name: `s${s}_add` }).apply([h, shortcut]) as tf.SymbolicTensor;
    x = tf.layers
      .activation({ activation: 'relu', name: s === stages - 1 ? IMAGE_RESNET_CAM_LAYER : `s${s}_out` })
      .apply(h) as tf.SymbolicTensor;
  }
  const pooled = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: classes,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1000 }),
      name: 'probabilities',
    })
    .apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'image_resnet' });
}
