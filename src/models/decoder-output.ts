import * as tf from '@tensorflow/tfjs-core';
import { bernoulliNll } from '../engine/fused-ops.ts';
import type { DecoderDistribution } from './latent-layout.ts';

// The decoder's output distribution p(x|z), one implementation for training, pictures and the browser
// (web/src/model.ts imports this file). Bernoulli: the decoder outputs logits; Gaussian: the decoder's
// last axis holds [means, log-variances] (the FHVAE's frames).

const LOG_2PI = Math.log(2 * Math.PI);

/** −log N(x; mean, exp(logVar)) per element. */
export function gaussianPerElement(x: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return tf.tidy(() =>
    tf.mul(0.5, tf.add(tf.add(logVar, LOG_2PI), tf.mul(tf.square(tf.sub(x, mean)), tf.exp(tf.neg(logVar))))),
  );
}

/** A Gaussian decoder's output split along its last axis into [means, log-variances]. */
export function gaussianStats(output: tf.Tensor): [tf.Tensor, tf.Tensor] {
  const d = output.shape[output.rank - 1] / 2;
  return tf.split(output, [d, d], -1) as [tf.Tensor, tf.Tensor];
}

/**
 * −log p(x|z) per example [n], summed over each example's elements, from the decoder's output; x is
 * reshaped to the shape of the output's means (Bernoulli: the logits).
 */
export function negLogLikelihood(
  distribution: DecoderDistribution,
  output: tf.Tensor,
  x: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    let perElement: tf.Tensor;
    if (distribution === 'bernoulli') {
      perElement = bernoulliNll(output, tf.reshape(x, output.shape));
    } else if (distribution === 'gaussian') {
      const [mean, logVar] = gaussianStats(output);
      perElement = gaussianPerElement(tf.reshape(x, mean.shape), mean, logVar);
    } else {
      throw new Error(`unknown decoder distribution ${distribution}`);
    }
    return tf.sum(tf.reshape(perElement, [output.shape[0], -1]), 1) as tf.Tensor1D;
  });
}

/**
 * The decoder's mean E[x|z] from its output: Bernoulli, the sigmoid of the logits, in [0, 1]; Gaussian,
 * the means half of the last axis.
 */
export function decoderMean(distribution: DecoderDistribution, output: tf.Tensor): tf.Tensor {
  if (distribution === 'bernoulli') return tf.sigmoid(output);
  if (distribution === 'gaussian') return tf.tidy(() => gaussianStats(output)[0]);
  throw new Error(`unknown decoder distribution ${distribution}`);
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
