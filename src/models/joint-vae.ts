import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
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
 * JointVAE (Dupont 2018): continuous Gaussian latents z and discrete latents c, each relaxed to a
 * Gumbel-softmax (concrete) sample during training, with a capacity per channel:
 *   loss = reconstruction + γ |KL(q(z|x) ‖ N(0, I)) − C_z| + γ |Σ_j KL(q(c_j|x) ‖ Uniform) − C_c|,
 * C_z and C_c rising linearly from 0 to their maxima over `capacitySteps`; C_c never above the discrete
 * channel's own capacity Σ_j log K_j. The encoder's last layer gives [means, log-variances, logits].
 * Defaults: the paper's dSprites settings (6 continuous dims set by latentDim in its preset, one
 * 3-way discrete latent, C_z → 40 nats, C_c → 1.1 nats over 300k steps, γ = 150, τ = 0.67).
 */
export const jointVaeOptions = z
  .object({
    discreteSizes: z.array(z.number().int().min(2)).min(1).default([3]),
    gamma: z.number().positive().default(150),
    continuousCapacityMax: z.number().nonnegative().default(40),
    discreteCapacityMax: z.number().nonnegative().default(1.1),
    capacitySteps: z.number().int().positive().default(300_000),
    temperature: z.number().positive().default(0.67),
  })
  .strict();
export type JointVaeOptions = z.infer<typeof jointVaeOptions>;

const EPS = 1e-12;

/** C at `step`: linear from 0 to `max` over `steps`, constant after. */
export function jointCapacity(step: number, max: number, steps: number): number {
  return Math.min(max, (max * step) / steps);
}

/** Gumbel-softmax sample softmax((log α + g) / τ), g = −log(−log u), from probabilities α [n, K]. */
export function gumbelSoftmax(alpha: tf.Tensor2D, uniform: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const gumbel = tf.neg(tf.log(tf.add(tf.neg(tf.log(tf.add(uniform, EPS))), EPS)));
    return tf.softmax(tf.div(tf.add(tf.log(tf.add(alpha, EPS)), gumbel), temperature)) as tf.Tensor2D;
  });
}

/** KL(Categorical(α) ‖ Uniform(K)) = log K + Σ α log α, averaged over the batch. */
export function categoricalKl(alpha: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const k = alpha.shape[1];
    const negEntropy = tf.sum(tf.mul(alpha, tf.log(tf.add(alpha, EPS))), 1);
    return tf.mean(tf.add(negEntropy, Math.log(k))) as tf.Scalar;
  });
}

export function createJointVae(build: ModelBuild, options: JointVaeOptions): Model {
  const { nets, latentDim } = build;
  const sizes = options.discreteSizes;
  const discreteCapacityLimit = sizes.reduce((s, k) => s + Math.log(k), 0);

  /** Encoder statistics: Gaussian mean and log-variance, and α of every discrete latent. */
  const encodeAll = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const stats = nets.encoder.apply(x, { training: true }) as tf.Tensor2D;
      const parts = tf.split(stats, [latentDim, latentDim, ...sizes], 1) as tf.Tensor2D[];
      const [mean, logVar, ...logits] = parts;
      return { mean, logVar, alphas: logits.map((l) => tf.softmax(l) as tf.Tensor2D) };
    });

  const decodeWith = (code: tf.Tensor2D, oneHot: tf.Tensor2D) =>
    tf.tidy(() => tf.sigmoid(nets.decoder.apply(tf.concat([code, oneHot], 1)) as tf.Tensor4D));

  const loss = (x: tf.Tensor4D, ctx: StepContext) => {
    const { mean, logVar, alphas } = encodeAll(x);
    const n = x.shape[0];
    const zSample = reparameterize(mean, logVar, ctx);
    // one uniform draw per example for all categories, split per latent
    const uniform = tf.split(ctx.uniform([n, sizes.reduce((a, b) => a + b, 0)]), sizes, 1) as tf.Tensor2D[];
    const cSamples = alphas.map((alpha, j) => gumbelSoftmax(alpha, uniform[j], options.temperature));
    const logits = nets.decoder.apply(tf.concat([zSample, ...cSamples], 1), {
      training: true,
    }) as tf.Tensor4D;
    const reconstruction = bernoulliReconstruction(logits, x);
    const klPerDim = gaussianKlPerDim(mean, logVar);
    const klContinuous = tf.sum(klPerDim) as tf.Scalar;
    const klDiscrete = tf.addN(alphas.map(categoricalKl)) as tf.Scalar;
    const cz = jointCapacity(ctx.step, options.continuousCapacityMax, options.capacitySteps);
    const cc = Math.min(
      jointCapacity(ctx.step, options.discreteCapacityMax, options.capacitySteps),
      discreteCapacityLimit,
    );
    const total = tf.addN([
      reconstruction,
      tf.mul(options.gamma, tf.abs(tf.sub(klContinuous, cz))),
      tf.mul(options.gamma, tf.abs(tf.sub(klDiscrete, cc))),
    ]) as tf.Scalar;
    return {
      total,
      terms: {
        reconstruction,
        klContinuous,
        klDiscrete,
        continuousCapacity: tf.scalar(cz),
        discreteCapacity: tf.scalar(cc),
        elbo: tf.neg(tf.addN([reconstruction, klContinuous, klDiscrete])) as tf.Scalar,
      },
      klPerDim,
    };
  };

  const firstCategory = (n: number) =>
    tf.tidy(
      () =>
        tf.concat(
          sizes.map((k) => tf.oneHot(tf.zeros([n], 'int32') as tf.Tensor1D, k).toFloat()),
          1,
        ) as tf.Tensor2D,
    );

  return {
    kind: 'joint-vae',
    latentDim,
    nets: { encoder: nets.encoder, decoder: nets.decoder },
    objectives: [{ name: 'vae', optimizer: build.optimizer, variables: vaeVariables(nets), loss }],
    encode: (x) =>
      tf.tidy(() => {
        const { mean, logVar } = encodeAll(x);
        return { mean, logVar };
      }),
    decode: (code) => tf.tidy(() => decodeWith(code, firstCategory(code.shape[0]))),
    discrete: {
      sizes,
      encode: (x) => tf.tidy(() => tf.concat(encodeAll(x).alphas, 1) as tf.Tensor2D),
      decode: decodeWith,
    },
  };
}

export const jointVae = defineModel({
  name: 'joint-vae',
  description: 'JointVAE (Dupont 2018): continuous + Gumbel-softmax discrete latents, a capacity for each',
  options: jointVaeOptions,
  paper: {
    source:
      'Dupont 2018, dSprites: 6 continuous dims, one 3-way discrete, C_z → 40, C_c → 1.1 over 300k, γ 150, τ 0.67 (the defaults), Adam 5e-4',
    config: { latentDim: 6, learningRate: 5e-4 },
  },
  latent: (options) => ({ discrete: options.discreteSizes.map((size) => ({ size, inferred: 'encoder' })) }),
  create: createJointVae,
});
