import * as tf from '@tensorflow/tfjs-core';
import type { DecoderDistribution } from './latent-layout.ts';

// The decoder's output distribution p(x|z), one implementation for training, pictures and the browser
// (web/src/model.ts imports this file). Only Bernoulli so far: the decoder outputs logits.

/** −log p(x|logits) of a Bernoulli decoder per pixel: softplus(l) − l·x, in the overflow-free form. */
export function bernoulliPerPixel(logits: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.softplus(tf.neg(tf.abs(logits)))),
  );
}

/** −log p(x|z) per example [n], summed over each example's pixels; x is reshaped to the logits' shape. */
export function negLogLikelihood(
  distribution: DecoderDistribution,
  logits: tf.Tensor,
  x: tf.Tensor,
): tf.Tensor1D {
  if (distribution !== 'bernoulli') throw new Error(`unknown decoder distribution ${distribution}`);
  return tf.tidy(() => {
    const perPixel = bernoulliPerPixel(logits, tf.reshape(x, logits.shape));
    return tf.sum(tf.reshape(perPixel, [logits.shape[0], -1]), 1) as tf.Tensor1D;
  });
}

/** The decoder's mean image E[x|z] from its output: the sigmoid of Bernoulli logits, in [0, 1]. */
export function decoderMean(distribution: DecoderDistribution, logits: tf.Tensor): tf.Tensor {
  if (distribution !== 'bernoulli') throw new Error(`unknown decoder distribution ${distribution}`);
  return tf.sigmoid(logits);
}

/**
 * The `reconstruction` rule's costs [n, size]: −log p(x | decoder([code, before, onehot(k), after])) for
 * every category k of one discrete latent, `before`/`after` the one-hots of the latents around it.
 */
export function categoryCosts(
  distribution: DecoderDistribution,
  decodeLogits: (input: tf.Tensor2D) => tf.Tensor,
  code: tf.Tensor2D,
  x: tf.Tensor,
  size: number,
  around: { before?: tf.Tensor2D; after?: tf.Tensor2D } = {},
): tf.Tensor2D {
  return tf.tidy(() => {
    const n = code.shape[0];
    const columns = Array.from({ length: size }, (_, k) => {
      const oneHot = tf.cast(
        tf.oneHot(tf.fill([n], k, 'int32') as tf.Tensor1D, size),
        'float32',
      ) as tf.Tensor2D;
      const parts = [code, ...(around.before ? [around.before] : []), oneHot];
      const logits = decodeLogits(tf.concat([...parts, ...(around.after ? [around.after] : [])], 1));
      return negLogLikelihood(distribution, logits, x);
    });
    return tf.stack(columns, 1) as tf.Tensor2D;
  });
}
