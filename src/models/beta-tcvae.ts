import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineModel } from './define.ts';
import { gaussianVaeModel, type ModelBuild, vaeForward } from './gaussian-vae.ts';
import type { Model } from './model.ts';

/**
 * β-TCVAE (Chen et al. 2018): the KL term split into index-code mutual information, total correlation
 * and dimension-wise KL (Eq. 2), weighted α, β, γ; the aggregate posterior q(z) estimated on the
 * minibatch by minibatch-weighted (MWS, Eq. 3) or minibatch-stratified (MSS, Appendix C.2) sampling.
 * disentanglement_lib sweeps β in {1,2,4,6,8,10}.
 */
export const betaTcVaeOptions = z
  .object({
    alpha: z.number().nonnegative().default(1),
    beta: z.number().nonnegative().default(6),
    gamma: z.number().nonnegative().default(1),
    estimator: z.enum(['mws', 'mss']).default('mws'),
  })
  .strict();
export type BetaTcVaeOptions = z.infer<typeof betaTcVaeOptions>;

const LOG_2PI = Math.log(2 * Math.PI);

/** log N(x; mean, exp(logVar)) elementwise. */
function gaussianLogDensity(x: tf.Tensor, mean: tf.Tensor, logVar: tf.Tensor): tf.Tensor {
  return tf.mul(-0.5, tf.add(tf.add(LOG_2PI, logVar), tf.div(tf.square(tf.sub(x, mean)), tf.exp(logVar))));
}

/**
 * log of the MSS importance weights [B, B]: sample i's own term and one other sample are weighted
 * as drawn from the stratum, the rest 1/M; Chen et al.'s Appendix C.2 with M = B − 1.
 */
export function stratifiedLogWeights(batch: number, datasetSize: number): tf.Tensor2D {
  const m = batch - 1;
  const strat = (datasetSize - m) / (datasetSize * m);
  const w = new Float32Array(batch * batch).fill(1 / m);
  for (let i = 0; i < batch; i++) {
    w[i * batch + i] = 1 / datasetSize;
    if (i + 1 < batch) w[i * batch + i + 1] = strat;
  }
  w[(batch - 1) * batch] = strat;
  return tf.log(tf.tensor2d(w, [batch, batch]));
}

/** E[log q(z|x) − log q(z)], E[log q(z) − Π_d q(z_d)], E[Π_d q(z_d) − log p(z)] on a minibatch. */
export function tcDecomposition(
  code: tf.Tensor2D,
  mean: tf.Tensor2D,
  logVar: tf.Tensor2D,
  datasetSize: number,
  estimator: 'mws' | 'mss',
): { mutualInformation: tf.Scalar; totalCorrelation: tf.Scalar; dimensionWiseKl: tf.Scalar } {
  return tf.tidy(() => {
    const batch = code.shape[0];
    // [i, j, d] = log q(z_i,d | x_j)
    const pairwise = gaussianLogDensity(
      tf.expandDims(code, 1),
      tf.expandDims(mean, 0),
      tf.expandDims(logVar, 0),
    );
    let logQz: tf.Tensor;
    let logQzProduct: tf.Tensor;
    if (estimator === 'mws') {
      const norm = Math.log(batch * datasetSize);
      logQz = tf.sub(tf.logSumExp(tf.sum(pairwise, 2), 1), norm);
      logQzProduct = tf.sum(tf.sub(tf.logSumExp(pairwise, 1), norm), 1);
    } else {
      const logW = stratifiedLogWeights(batch, datasetSize);
      logQz = tf.logSumExp(tf.add(logW, tf.sum(pairwise, 2)), 1);
      logQzProduct = tf.sum(tf.logSumExp(tf.add(tf.expandDims(logW, 2), pairwise), 1), 1);
    }
    const logQzGivenX = tf.sum(gaussianLogDensity(code, mean, logVar), 1);
    const logPz = tf.sum(gaussianLogDensity(code, tf.zerosLike(code), tf.zerosLike(code)), 1);
    return {
      mutualInformation: tf.mean(tf.sub(logQzGivenX, logQz)) as tf.Scalar,
      totalCorrelation: tf.mean(tf.sub(logQz, logQzProduct)) as tf.Scalar,
      dimensionWiseKl: tf.mean(tf.sub(logQzProduct, logPz)) as tf.Scalar,
    };
  });
}

export function createBetaTcVae(build: ModelBuild, options: BetaTcVaeOptions): Model {
  return gaussianVaeModel(
    'beta-tcvae',
    build,
    (x, ctx) => {
      const { reconstruction, kl, klPerDim, z: code, mean, logVar } = vaeForward(build.nets, x, ctx);
      const { mutualInformation, totalCorrelation, dimensionWiseKl } = tcDecomposition(
        code,
        mean,
        logVar,
        build.datasetSize,
        options.estimator,
      );
      const total = tf.addN([
        reconstruction,
        tf.mul(options.alpha, mutualInformation),
        tf.mul(options.beta, totalCorrelation),
        tf.mul(options.gamma, dimensionWiseKl),
      ]) as tf.Scalar;
      const elbo = tf.neg(tf.add(reconstruction, kl)) as tf.Scalar;
      return {
        total,
        terms: { reconstruction, mutualInformation, totalCorrelation, dimensionWiseKl, kl, elbo },
        klPerDim,
      };
    },
    { batchCoupled: true },
  );
}

export const betaTcVae = defineModel({
  name: 'beta-tcvae',
  description: 'β-TCVAE (Chen et al. 2018): reconstruction + α·MI + β·TC + γ·dimension-wise KL',
  options: betaTcVaeOptions,
  dlibSweep: { beta: [1, 2, 4, 6, 8, 10] },
  paper: {
    source: 'Chen et al. 2018, dSprites: α = γ = 1, β = 6, minibatch-weighted sampling (the defaults)',
    config: {},
  },
  create: createBetaTcVae,
});
