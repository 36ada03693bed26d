import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { hungarian } from '../math/hungarian.ts';
import { categoryCosts as reconstructionCosts } from './decoder-output.ts';
import { defineModel } from './define.ts';
import {
  bernoulliReconstruction,
  gaussianKlPerDim,
  type ModelBuild,
  reparameterize,
  vaeVariables,
} from './gaussian-vae.ts';
import type { Model, StepContext } from './model.ts';

/**
 * CascadeVAE (Jeong & Song 2019): continuous latents z under a per-dim KL weight that starts high (β_h)
 * everywhere and is relieved to β_l one dim at a time every `relieveEvery` steps ("information
 * cascading"), plus a discrete one-hot latent d fed to the decoder and learned by alternating
 * minimisation: at each step, with the networks fixed, every example of the batch is assigned the
 * category whose decoding reconstructs it best, under a balance constraint (each category takes at most
 * ⌈n/K⌉ examples, the j-th example of a category paying an extra `duplicatePenalty`·j); then the networks
 * take a gradient step with that assignment held fixed. Before `discreteWarmup` steps the discrete input
 * is zero. The per-batch assignment is an exact minimum-cost matching (Hungarian algorithm) where the
 * paper runs a min-cost-flow solver: the same optimum.
 * Defaults: the paper's dSprites setting (6 continuous dims via latentDim in its preset, 3 categories,
 * β_h 10, β_l 2, a dim relieved every 20k steps); the warm-up defaults to the end of the cascade.
 */
export const cascadeVaeOptions = z
  .object({
    categories: z.number().int().min(2).default(3),
    betaHigh: z.number().nonnegative().default(10),
    betaLow: z.number().nonnegative().default(2),
    relieveEvery: z.number().int().positive().default(20_000),
    /** step at which discrete assignments start; default latentDim · relieveEvery */
    discreteWarmup: z.number().int().nonnegative().optional(),
    duplicatePenalty: z.number().nonnegative().default(0.001),
  })
  .strict();
export type CascadeVaeOptions = z.infer<typeof cascadeVaeOptions>;

/** The KL weight of every dim at `step`: dims 0..r−1 relieved to β_l, r = ⌊step / relieveEvery⌋. */
export function cascadeBetas(step: number, latentDim: number, o: CascadeVaeOptions): number[] {
  const relieved = Math.min(latentDim, Math.floor(step / o.relieveEvery));
  return Array.from({ length: latentDim }, (_, d) => (d < relieved ? o.betaLow : o.betaHigh));
}

/**
 * The balanced assignment: cost[i][k] = loss of example i under category k; category k offers ⌈n/K⌉
 * slots, its j-th costing cost + penalty·j. Returns the category of each example.
 */
export function assignCategories(cost: number[][], penalty: number): Int32Array {
  const n = cost.length;
  const k = cost[0].length;
  const slots = Math.ceil(n / k);
  const columns = k * slots;
  // rows beyond n are dummies with zero cost, making the matrix square
  const square = Array.from({ length: columns }, (_, i) =>
    Array.from({ length: columns }, (_, c) =>
      i < n ? cost[i][Math.floor(c / slots)] + penalty * (c % slots) : 0,
    ),
  );
  const columnOf = hungarian(square);
  return Int32Array.from({ length: n }, (_, i) => Math.floor(columnOf[i] / slots));
}

export function createCascadeVae(build: ModelBuild, options: CascadeVaeOptions): Model {
  const { nets, latentDim } = build;
  const k = options.categories;
  const warmup = options.discreteWarmup ?? latentDim * options.relieveEvery;
  const encodeStats = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const stats = nets.encoder.apply(x, { training: true }) as tf.Tensor2D;
      const [mean, logVar] = tf.split(stats, [latentDim, latentDim], 1) as [tf.Tensor2D, tf.Tensor2D];
      return { mean, logVar };
    });
  const decodeWith = (code: tf.Tensor2D, oneHot: tf.Tensor2D) =>
    tf.tidy(() => tf.sigmoid(nets.decoder.apply(tf.concat([code, oneHot], 1)) as tf.Tensor4D));

  /** Per-example reconstruction loss with each category [n, K], outside the gradient. */
  const categoryCosts = (zSample: tf.Tensor2D, x: tf.Tensor4D): tf.Tensor2D => {
    const decode = (input: tf.Tensor2D) => nets.decoder.apply(input) as tf.Tensor;
    return reconstructionCosts('bernoulli', decode, zSample, x, k);
  };

  /**
   * The step's assignment, before its gradient: the costs under the sampled code (the loss draws the
   * same noise), read back asynchronously and matched on the host. None during the warm-up.
   */
  const prepare = async (x: tf.Tensor4D, ctx: StepContext): Promise<Int32Array | undefined> => {
    if (ctx.step < warmup) return undefined;
    const costs = tf.tidy(() => {
      const { mean, logVar } = encodeStats(x);
      return categoryCosts(reparameterize(mean, logVar, ctx), x);
    });
    const values = await costs.data();
    costs.dispose();
    const rows = Array.from({ length: x.shape[0] }, (_, i) =>
      Array.from(values.subarray(i * k, (i + 1) * k)),
    );
    return assignCategories(rows, options.duplicatePenalty);
  };

  const loss = (x: tf.Tensor4D, ctx: StepContext, prepared?: unknown) => {
    const n = x.shape[0];
    const { mean, logVar } = encodeStats(x);
    const zSample = reparameterize(mean, logVar, ctx);
    let oneHot: tf.Tensor2D;
    if (ctx.step >= warmup) {
      if (!(prepared instanceof Int32Array) || prepared.length !== n)
        throw new Error(
          `cascade-vae: from step ${warmup} its loss needs the step's category assignment; await objective.prepare(x, ctx) and pass it`,
        );
      oneHot = tf.oneHot(tf.tensor1d(prepared, 'int32'), k).toFloat() as tf.Tensor2D;
    } else {
      oneHot = tf.zeros([n, k]);
    }
    const logits = nets.decoder.apply(tf.concat([zSample, oneHot], 1), { training: true }) as tf.Tensor4D;
    const reconstruction = bernoulliReconstruction(logits, x);
    const klPerDim = gaussianKlPerDim(mean, logVar);
    const betas = tf.tensor1d(cascadeBetas(ctx.step, latentDim, options));
    const weightedKl = tf.sum(tf.mul(betas, klPerDim)) as tf.Scalar;
    const kl = tf.sum(klPerDim) as tf.Scalar;
    return {
      total: tf.add(reconstruction, weightedKl) as tf.Scalar,
      terms: {
        reconstruction,
        kl,
        weightedKl,
        relievedDims: tf.scalar(Math.min(latentDim, Math.floor(ctx.step / options.relieveEvery))),
        discreteActive: tf.scalar(ctx.step >= warmup ? 1 : 0),
        elbo: tf.neg(tf.add(reconstruction, kl)) as tf.Scalar,
      },
      klPerDim,
    };
  };

  /** q(d|x) for evaluation: the category that reconstructs x best from its mean code (a one-hot). */
  const encodeDiscrete = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const { mean } = encodeStats(x);
      const costs = categoryCosts(mean, x).arraySync();
      const best = costs.map((row) => row.indexOf(Math.min(...row)));
      return tf.oneHot(tf.tensor1d(best, 'int32'), k).toFloat() as tf.Tensor2D;
    });

  return {
    kind: 'cascade-vae',
    latentDim,
    nets: { encoder: nets.encoder, decoder: nets.decoder },
    objectives: [{ name: 'vae', optimizer: build.optimizer, variables: vaeVariables(nets), prepare, loss }],
    encode: encodeStats,
    decode: (code) =>
      tf.tidy(() =>
        decodeWith(
          code,
          tf.oneHot(tf.zeros([code.shape[0]], 'int32') as tf.Tensor1D, k).toFloat() as tf.Tensor2D,
        ),
      ),
    discrete: { sizes: [k], encode: encodeDiscrete, decode: decodeWith },
  };
}

export const cascadeVae = defineModel({
  name: 'cascade-vae',
  description:
    'CascadeVAE (Jeong & Song 2019): KL weights relieved dim by dim, a discrete latent by alternating minimisation',
  options: cascadeVaeOptions,
  paper: {
    source:
      'Jeong & Song 2019, dSprites: 6 continuous dims, 3 categories, β_h 10, β_l 2, a dim relieved every 20k steps (the defaults)',
    config: { latentDim: 6 },
  },
  // the encoder outputs no logits: the category is the one whose decoding reconstructs best (encodeDiscrete)
  latent: (options) => ({ discrete: [{ size: options.categories, inferred: 'reconstruction' }] }),
  create: createCascadeVae,
});
