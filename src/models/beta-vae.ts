import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineModel } from './define.ts';
import { gaussianVaeModel, type ModelBuild, vaeForward } from './gaussian-vae.ts';
import type { Model } from './model.ts';

/** β-VAE (Higgins et al. 2017): reconstruction + β·KL. disentanglement_lib sweeps β in {1,2,4,6,8,16}. */
export const betaVaeOptions = z.object({ beta: z.number().positive().default(4) }).strict();
export type BetaVaeOptions = z.infer<typeof betaVaeOptions>;

export function createBetaVae(build: ModelBuild, { beta }: BetaVaeOptions, kind = 'beta-vae'): Model {
  return gaussianVaeModel(kind, build, (x, ctx) => {
    const { reconstruction, kl, klPerDim } = vaeForward(build.nets, x, ctx);
    const total = tf.add(reconstruction, tf.mul(beta, kl)) as tf.Scalar;
    return {
      total,
      terms: { reconstruction, kl, elbo: tf.neg(tf.add(reconstruction, kl)) as tf.Scalar },
      klPerDim,
    };
  });
}

export const betaVae = defineModel({
  name: 'beta-vae',
  description: 'β-VAE (Higgins et al. 2017): reconstruction + β·KL',
  options: betaVaeOptions,
  dlibSweep: { beta: [1, 2, 4, 6, 8, 16] },
  paper: { source: 'Higgins et al. 2017, dSprites: β = 4 (the default)', config: {} },
  create: (build, options) => createBetaVae(build, options),
});
