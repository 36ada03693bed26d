import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineModel } from './define.ts';
import { gaussianVaeModel, type ModelBuild, vaeForward } from './gaussian-vae.ts';
import type { Model } from './model.ts';

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

export function createAnnealedVae(build: ModelBuild, options: AnnealedVaeOptions): Model {
  return gaussianVaeModel('annealed-vae', build, (x, ctx) => {
    const { reconstruction, kl, klPerDim } = vaeForward(build.nets, x, ctx);
    const capacity = tf.scalar(capacityAt(ctx.step, options));
    const total = tf.add(reconstruction, tf.mul(options.gamma, tf.abs(tf.sub(kl, capacity)))) as tf.Scalar;
    const elbo = tf.neg(tf.add(reconstruction, kl)) as tf.Scalar;
    return { total, terms: { reconstruction, kl, capacity, elbo }, klPerDim };
  });
}

export const annealedVae = defineModel({
  name: 'annealed-vae',
  description: 'AnnealedVAE (Burgess et al. 2018): reconstruction + γ|KL − C|, C annealed to C_max',
  options: annealedVaeOptions,
  dlibSweep: { capacityMax: [5, 10, 25, 50, 75, 100] },
  paper: {
    source: 'Burgess et al. 2018, dSprites: γ = 1000, C to 25 nats over 100k steps (the defaults), Adam 5e-4',
    config: { learningRate: 5e-4 },
  },
  create: createAnnealedVae,
});
