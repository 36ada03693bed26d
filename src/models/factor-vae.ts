import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { factorDiscriminator } from '../nets/discriminator.ts';
import { initializeWeights } from '../nets/init.ts';
import { defineModel } from './define.ts';
import {
  encodeGaussian,
  gaussianVaeModel,
  type ModelBuild,
  reparameterize,
  vaeForward,
} from './gaussian-vae.ts';
import type { Model, StepContext } from './model.ts';

/**
 * FactorVAE (Kim & Mnih 2018): the ELBO plus γ·TC, the total correlation estimated by the density-ratio
 * trick with a discriminator D telling q(z) from the product of its marginals (samples with each dim
 * permuted across the batch): TC ≈ E[log D(z) − log(1 − D(z))] (Eq. 3). D is a second objective with
 * its own Adam (1e-4, β1 0.5, β2 0.9). disentanglement_lib sweeps γ in {10, 20, 30, 40, 50, 100}.
 */
export const factorVaeOptions = z
  .object({
    gamma: z.number().nonnegative().default(35),
    discriminatorLearningRate: z.number().positive().default(1e-4),
    discriminatorBeta1: z.number().min(0).lt(1).default(0.5),
    discriminatorBeta2: z.number().min(0).lt(1).default(0.9),
  })
  .strict();
export type FactorVaeOptions = z.infer<typeof factorVaeOptions>;

/** Each latent dim shuffled across the batch independently: a sample of Π_d q(z_d) (Alg. 1). */
export function permuteDims(code: tf.Tensor2D, ctx: StepContext): tf.Tensor2D {
  return tf.tidy(() => {
    const [batch, dims] = code.shape;
    const index = new Int32Array(batch * dims);
    for (let d = 0; d < dims; d++) {
      const perm = ctx.permutation(batch);
      for (let i = 0; i < batch; i++) index[i * dims + d] = perm[i] * dims + d;
    }
    return tf.reshape(tf.gather(tf.reshape(code, [-1]), tf.tensor1d(index, 'int32')), [
      batch,
      dims,
    ]) as tf.Tensor2D;
  });
}

export function createFactorVae(build: ModelBuild, options: FactorVaeOptions): Model {
  const discriminator = factorDiscriminator(build.latentDim);
  initializeWeights(discriminator, build.rng);
  const logits = (code: tf.Tensor2D) => discriminator.apply(code, { training: true }) as tf.Tensor2D;
  return gaussianVaeModel(
    'factor-vae',
    build,
    (x, ctx) => {
      const { reconstruction, kl, klPerDim, z: code } = vaeForward(build.nets, x, ctx);
      const scores = logits(code);
      const [real, permuted] = tf.split(scores, 2, 1);
      const totalCorrelation = tf.mean(tf.sub(real, permuted)) as tf.Scalar;
      const total = tf.addN([reconstruction, kl, tf.mul(options.gamma, totalCorrelation)]) as tf.Scalar;
      const elbo = tf.neg(tf.add(reconstruction, kl)) as tf.Scalar;
      return { total, terms: { reconstruction, kl, totalCorrelation, elbo }, klPerDim };
    },
    {
      batchCoupled: true,
      nets: { discriminator },
      objectives: [
        {
          name: 'discriminator',
          optimizer: {
            learningRate: options.discriminatorLearningRate,
            beta1: options.discriminatorBeta1,
            beta2: options.discriminatorBeta2,
            epsilon: build.optimizer.epsilon,
          },
          variables: () => discriminator.trainableWeights.map((w) => w.read() as tf.Variable),
          loss(x, ctx) {
            const { mean, logVar } = encodeGaussian(build.nets.encoder, x);
            const code = reparameterize(mean, logVar, ctx);
            const onReal = tf.logSoftmax(logits(code));
            const onPermuted = tf.logSoftmax(logits(permuteDims(code, ctx)));
            // cross-entropy of the two classes, averaged over both halves
            const realTerm = tf.mean(tf.slice(onReal, [0, 0], [-1, 1]));
            const permutedTerm = tf.mean(tf.slice(onPermuted, [0, 1], [-1, 1]));
            const total = tf.mul(-0.5, tf.add(realTerm, permutedTerm)) as tf.Scalar;
            const accuracy = tf.mul(
              0.5,
              tf.add(
                tf.mean(
                  tf.cast(
                    tf.greater(tf.slice(onReal, [0, 0], [-1, 1]), tf.slice(onReal, [0, 1], [-1, 1])),
                    'float32',
                  ),
                ),
                tf.mean(
                  tf.cast(
                    tf.greater(tf.slice(onPermuted, [0, 1], [-1, 1]), tf.slice(onPermuted, [0, 0], [-1, 1])),
                    'float32',
                  ),
                ),
              ),
            ) as tf.Scalar;
            return { total, terms: { loss: total, accuracy } };
          },
        },
      ],
    },
  );
}

export const factorVae = defineModel({
  name: 'factor-vae',
  description: 'FactorVAE (Kim & Mnih 2018): ELBO + γ·TC by a discriminator with its own Adam',
  options: factorVaeOptions,
  dlibSweep: { gamma: [10, 20, 30, 40, 50, 100] },
  paper: {
    source:
      'Kim & Mnih 2018, dSprites: γ = 35, VAE Adam 1e-4 (0.9, 0.999), discriminator Adam 1e-4 (0.5, 0.9) (the defaults)',
    config: {},
  },
  create: createFactorVae,
});
