import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { decodeMean, encodeGaussian, type VaeNets, vaeForward } from './gaussian-vae.ts';
import type { AdamOptions, Model } from './model.ts';

/**
 * AnnealedVAE (Burgess et al. 2018): reconstruction + γ|KL − C|, the capacity C raised linearly from 0
 * to C_max over `capacitySteps` steps. disentanglement_lib: γ = 1000, C_max in {5..100} at 100k steps.
 */
export const annealedVaeOptions = z
  .object({
    gamma: z.number().positive().default(1000),
    capacityMax: z.number().nonnegative().default(25),
    capacitySteps: z.number().int().positive().default(100_000),
  })
  .strict();
export type AnnealedVaeOptions = z.infer<typeof annealedVaeOptions>;

export function capacityAt(step: number, { capacityMax, capacitySteps }: AnnealedVaeOptions): number {
  return Math.min(capacityMax, (capacityMax * step) / capacitySteps);
}

export function createAnnealedVae(
  nets: VaeNets,
  latentDim: number,
  optimizer: AdamOptions,
  options: AnnealedVaeOptions,
): Model {
  return {
    kind: 'annealed-vae',
    latentDim,
    nets: { ...nets },
    encode: (x) => encodeGaussian(nets.encoder, x),
    decode: (code) => decodeMean(nets.decoder, code),
    objectives: [
      {
        name: 'vae',
        optimizer,
        variables: () =>
          [...nets.encoder.trainableWeights, ...nets.decoder.trainableWeights].map(
            (w) => w.read() as tf.Variable,
          ),
        loss(x, ctx) {
          const { reconstruction, kl, klPerDim } = vaeForward(nets, x, ctx);
          const capacity = tf.scalar(capacityAt(ctx.step, options));
          const total = tf.add(
            reconstruction,
            tf.mul(options.gamma, tf.abs(tf.sub(kl, capacity))),
          ) as tf.Scalar;
          return {
            total,
            terms: { reconstruction, kl, capacity, elbo: tf.neg(tf.add(reconstruction, kl)) as tf.Scalar },
            klPerDim,
          };
        },
      },
    ],
  };
}
