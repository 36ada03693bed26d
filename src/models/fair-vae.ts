import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { InputError } from '../io/input-error.ts';
import { defineModel } from './define.ts';
import {
  bernoulliReconstruction,
  encodeGaussian,
  gaussianKlPerDim,
  type ModelBuild,
  reparameterize,
  vaeVariables,
} from './gaussian-vae.ts';
import type { Model, StepContext } from './model.ts';

/**
 * The fair VAE: the unsupervised Variational Fair Autoencoder (Louizos, Swersky, Li, Welling & Zemel
 * 2016). A binary sensitive attribute s is given to the decoder, p(x | z, s), so z need not carry it,
 * and a maximum mean discrepancy penalty between the codes of the two groups purges what is left (§3.1):
 *   loss = −log p(x|z,s) + KL(q(z|x) ‖ N(0, I)) + β · MMD²(z | s=0, z | s=1),
 * MMD² the biased (V-statistic) batch estimate with a Gaussian kernel k(a, b) = exp(−‖a − b‖² / h)
 * (h = latentDim unless set). The penalty reads the posterior means, the codes downstream classifiers
 * use (VFAE applies it to samples of z). s comes from the batch's factors; a slice with one group only
 * has no penalty.
 */
export const fairVaeOptions = z
  .object({
    beta: z.number().nonnegative().default(100),
    /** h of the kernel, 0: the latent dimension */
    bandwidth: z.number().nonnegative().default(0),
    sensitiveFactor: z.string().default('s'),
  })
  .strict();
export type FairVaeOptions = z.infer<typeof fairVaeOptions>;

/**
 * MMD²(A, B) = mean_{A×A} k + mean_{B×B} k − 2 mean_{A×B} k = vᵀ K v with v = 1_A/|A| − 1_B/|B|, the
 * groups given by s ∈ {0, 1} per row of `codes`; 0 when a group is empty.
 */
export function groupMmd(codes: tf.Tensor2D, s: ArrayLike<number>, bandwidth: number): tf.Scalar {
  return tf.tidy(() => {
    const n = codes.shape[0];
    let ones = 0;
    for (let i = 0; i < n; i++) ones += s[i];
    if (ones === 0 || ones === n) return tf.scalar(0);
    const v = tf.tensor2d(
      Float32Array.from({ length: n }, (_, i) => (s[i] === 1 ? 1 / ones : -1 / (n - ones))),
      [n, 1],
    );
    const squared = tf.sum(tf.square(codes), 1, true);
    // ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b, clipped at 0 against rounding
    const distances = tf.relu(
      tf.sub(tf.add(squared, tf.transpose(squared)), tf.mul(2, tf.matMul(codes, codes, false, true))),
    );
    const kernel = tf.exp(tf.div(tf.neg(distances), bandwidth));
    return tf.sum(tf.mul(tf.matMul(kernel, v), v)) as tf.Scalar;
  });
}

export function createFairVae(build: ModelBuild, options: FairVaeOptions): Model {
  const { nets, latentDim } = build;
  const names = build.factors?.names ?? [];
  const column = names.indexOf(options.sensitiveFactor);
  if (build.factors != null && column < 0) {
    throw new InputError(
      `fair-vae needs a dataset with a sensitive factor "${options.sensitiveFactor}" (e.g. mnist-sensitive; or set sensitiveFactor); this one has ${names.join(', ')}`,
    );
  }
  if (build.factors != null && build.factors.sizes[column] !== 2) {
    throw new InputError(
      `fair-vae: the sensitive factor ${options.sensitiveFactor} has ${build.factors.sizes[column]} values, the MMD penalty needs a binary one`,
    );
  }
  const bandwidth = options.bandwidth > 0 ? options.bandwidth : latentDim;
  const decodeWith = (code: tf.Tensor2D, oneHot: tf.Tensor2D) =>
    tf.tidy(() => tf.sigmoid(nets.decoder.apply(tf.concat([code, oneHot], 1)) as tf.Tensor4D));

  const sensitiveOf = (ctx: StepContext, n: number) => {
    const width = names.length;
    if (ctx.factors == null || ctx.factors.length !== n * width) {
      throw new Error(
        `fair-vae: the loss needs the batch's factors (${width} per example) in its step context`,
      );
    }
    return Int32Array.from({ length: n }, (_, i) => ctx.factors![i * width + column]);
  };

  const loss = (x: tf.Tensor4D, ctx: StepContext) => {
    const n = x.shape[0];
    const s = sensitiveOf(ctx, n);
    const { mean, logVar } = encodeGaussian(nets.encoder, x);
    const code = reparameterize(mean, logVar, ctx);
    const oneHot = tf.oneHot(tf.tensor1d(s, 'int32'), 2).toFloat();
    const logits = nets.decoder.apply(tf.concat([code, oneHot], 1), { training: true }) as tf.Tensor4D;
    const reconstruction = bernoulliReconstruction(logits, x);
    const klPerDim = gaussianKlPerDim(mean, logVar);
    const kl = tf.sum(klPerDim) as tf.Scalar;
    const mmd = groupMmd(mean, s, bandwidth);
    const total = tf.addN([reconstruction, kl, tf.mul(options.beta, mmd)]) as tf.Scalar;
    return {
      total,
      terms: { reconstruction, kl, mmd, elbo: tf.neg(tf.add(reconstruction, kl)) as tf.Scalar },
      klPerDim,
    };
  };

  const group = (n: number, value: number) =>
    tf.tidy(() => tf.oneHot(tf.fill([n], value, 'int32') as tf.Tensor1D, 2).toFloat() as tf.Tensor2D);
  return {
    kind: 'fair-vae',
    batchCoupled: true,
    latentDim,
    nets: { encoder: nets.encoder, decoder: nets.decoder },
    objectives: [{ name: 'vae', optimizer: build.optimizer, variables: vaeVariables(nets), loss }],
    encode: (x) => encodeGaussian(nets.encoder, x),
    // the pictures' plain decode shows the s = 0 group
    decode: (code) => tf.tidy(() => decodeWith(code, group(code.shape[0], 0))),
    conditional: { factor: options.sensitiveFactor, size: 2, decode: decodeWith },
  };
}

export const fairVae = defineModel({
  name: 'fair-vae',
  description:
    "fair VAE (Louizos et al. 2016, VFAE): decoder told a sensitive s, β·MMD between the groups' codes (mnist-sensitive)",
  options: fairVaeOptions,
  // s is given in training and the encoder has no output for it: an image gets the s that reconstructs it best
  latent: () => ({ discrete: [{ size: 2, inferred: 'reconstruction' }] }),
  create: createFairVae,
});
