import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.ts';

/**
 * Re-initialises a net's weights from the run's RNG (so one seed fixes everything): Glorot-uniform
 * kernels and zero biases, the TensorFlow defaults disentanglement_lib trains with.
 */
export function initializeWeights(net: tfl.LayersModel, rng: Rng): void {
  for (const weight of net.weights) {
    const shape = weight.shape as number[];
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (shape.length >= 2) {
      const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
      const fanIn = receptive * shape[shape.length - 2];
      const fanOut = receptive * shape[shape.length - 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      rng.fillUniform(values, -limit, limit);
    }
    const value = tf.tensor(values, shape);
    weight.write(value);
    value.dispose();
  }
}
