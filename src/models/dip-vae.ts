import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineModel } from './define.ts';
import { gaussianVaeModel, type ModelBuild, vaeForward } from './gaussian-vae.ts';
import type { Model } from './model.ts';

/**
 * DIP-VAE (Kumar et al. 2018): the ELBO plus a moment-matching penalty pushing a covariance to the
 * identity, λ_od Σ_{i≠j} C_ij² + λ_d Σ_i (C_ii − 1)². DIP-VAE-I penalises the covariance of the encoder
 * means (Eq. 6); DIP-VAE-II that of the aggregate posterior, Cov[μ] + E[diag σ²] (Eq. 7).
 * disentanglement_lib: λ_od in {1,2,5,10,20,50}; λ_d = 10 λ_od (I) or λ_od (II).
 */
export const dipVaeOptions = z
  .object({
    lambdaOffDiagonal: z.number().nonnegative().default(10),
    /** default: 10 λ_od for type I, λ_od for type II */
    lambdaDiagonal: z.number().nonnegative().optional(),
  })
  .strict();
export type DipVaeOptions = z.infer<typeof dipVaeOptions>;

/** The batch covariance of the rows of x, E[x xᵀ] − E[x]E[x]ᵀ (biased, as disentanglement_lib). */
export function batchCovariance(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const center = tf.mean(x, 0, true);
    const centered = tf.sub(x, center);
    return tf.div(tf.matMul(centered, centered, true, false), n) as tf.Tensor2D;
  });
}

/** λ_od Σ_{i≠j} C_ij² + λ_d Σ_i (C_ii − 1)² */
export function dipRegularizer(
  covariance: tf.Tensor2D,
  lambdaOffDiagonal: number,
  lambdaDiagonal: number,
): tf.Scalar {
  return tf.tidy(() => {
    const diagonal = tf.sum(tf.mul(covariance, tf.eye(covariance.shape[0])), 1);
    const offDiagonal = tf.sub(tf.sum(tf.square(covariance)), tf.sum(tf.square(diagonal)));
    return tf.add(
      tf.mul(lambdaOffDiagonal, offDiagonal),
      tf.mul(lambdaDiagonal, tf.sum(tf.square(tf.sub(diagonal, 1)))),
    ) as tf.Scalar;
  });
}

export function createDipVae(build: ModelBuild, options: DipVaeOptions, type: 'i' | 'ii'): Model {
  const lambdaOd = options.lambdaOffDiagonal;
  const lambdaD = options.lambdaDiagonal ?? (type === 'i' ? 10 * lambdaOd : lambdaOd);
  return gaussianVaeModel(
    `dip-vae-${type}`,
    build,
    (x, ctx) => {
      const { reconstruction, kl, klPerDim, mean, logVar } = vaeForward(build.nets, x, ctx);
      let covariance = batchCovariance(mean);
      // eye · mean σ² rather than tf.diag, which has no gradient in tfjs
      if (type === 'ii')
        covariance = tf.add(
          covariance,
          tf.mul(tf.eye(build.latentDim), tf.mean(tf.exp(logVar), 0)),
        ) as tf.Tensor2D;
      const dipRegularizerTerm = dipRegularizer(covariance, lambdaOd, lambdaD);
      const total = tf.addN([reconstruction, kl, dipRegularizerTerm]) as tf.Scalar;
      const elbo = tf.neg(tf.add(reconstruction, kl)) as tf.Scalar;
      return { total, terms: { reconstruction, kl, dipRegularizer: dipRegularizerTerm, elbo }, klPerDim };
    },
    { batchCoupled: true },
  );
}

const dipVaeSweep = { lambdaOffDiagonal: [1, 2, 5, 10, 20, 50] };

export const dipVaeI = defineModel({
  name: 'dip-vae-i',
  description: 'DIP-VAE-I (Kumar et al. 2018): ELBO + covariance of the encoder means pushed to I',
  options: dipVaeOptions,
  dlibSweep: dipVaeSweep,
  paper: { source: 'Kumar et al. 2018, dSprites: λ_od = 10, λ_d = 100 (the defaults)', config: {} },
  create: (build, options) => createDipVae(build, options, 'i'),
});

export const dipVaeII = defineModel({
  name: 'dip-vae-ii',
  description: 'DIP-VAE-II (Kumar et al. 2018): ELBO + covariance of the aggregate posterior pushed to I',
  options: dipVaeOptions,
  dlibSweep: dipVaeSweep,
  paper: { source: 'Kumar et al. 2018: λ_od = λ_d = 10 (the defaults)', config: {} },
  create: (build, options) => createDipVae(build, options, 'ii'),
});
