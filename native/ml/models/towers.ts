import * as tf from '@tensorflow/tfjs';

/**
 * The output of an ensemble inside one Layers model: the towers' probabilities averaged by an
 * Average layer named `probabilities` (a single tower is its own output). Training with
 * `memberLoss` relies on this shape (see {@link memberOutputsModel}).
 */
export function ensembleOutput(towers: tf.SymbolicTensor[]): tf.SymbolicTensor {
  return towers.length === 1
    ? towers[0]!
    : (tf.layers.average({ name: 'probabilities' }).apply(towers) as tf.SymbolicTensor);
}

/**
 * A view of `model` whose outputs are the inputs of its final Average layer (the towers'
 * probabilities, see {@link ensembleOutput}); it shares the model's layers and weights.
 */
export function memberOutputsModel(model: tf.LayersModel): tf.LayersModel {
  const last = model.layers[model.layers.length - 1]!;
  const inputs = last.input;
  if (last.getClassName() !== 'Average' || !Array.isArray(inputs) || inputs.length < 2)
    throw new Error(
      `memberLoss needs a model ending in an Average layer over its members; ${model.name} ends in ${last.getClassName()}`,
    );
  return tf.model({ inputs: model.inputs, outputs: inputs, name: `${model.name}_members` });
}
