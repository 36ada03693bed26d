import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { bernoulliNll } from '../engine/fused-ops.ts';
import type { Rng } from '../engine/rng.ts';
import type { VaeNets } from '../nets/registry.ts';
import { decoderMean } from './decoder-output.ts';
import type { AdamOptions, Model, Objective, StepContext } from './model.ts';

// The parts every Gaussian-posterior VAE shares: q(z|x) = N(mean, diag(exp(logVar))), p(z) = N(0, I),
// a Bernoulli decoder over pixels.

export function encodeGaussian(
  encoder: tfl.LayersModel,
  x: tf.Tensor4D,
): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
  return tf.tidy(() => {
    const stats = encoder.apply(x, { training: true }) as tf.Tensor2D;
    const z = stats.shape[1] / 2;
    const [mean, logVar] = tf.split(stats, [z, z], 1) as [tf.Tensor2D, tf.Tensor2D];
    return { mean, logVar };
  });
}

/** z = mean + exp(logVar / 2) * eps, eps ~ N(0, I) (Kingma & Welling 2014, Eq. 10). */
export function reparameterize(mean: tf.Tensor2D, logVar: tf.Tensor2D, ctx: StepContext): tf.Tensor2D {
  return tf.tidy(() => tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), ctx.normal(mean.shape))));
}

/** -log p(x|z) for a Bernoulli decoder, summed over pixels and averaged over the batch. */
export function bernoulliReconstruction(logits: tf.Tensor4D, x: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(bernoulliNll(logits, x)), x.shape[0]) as tf.Scalar);
}

/** KL(N(mean, exp(logVar)) || N(0, 1)) per latent dim, averaged over the batch. */
export function gaussianKlPerDim(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.mean(
        tf.mul(0.5, tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(logVar, 1))),
        0,
      ) as tf.Tensor1D,
  );
}

/** The shared forward pass: reconstruction term, KL per dim and the sampled code. */
export function vaeForward(nets: VaeNets, x: tf.Tensor4D, ctx: StepContext) {
  const { mean, logVar } = encodeGaussian(nets.encoder, x);
  const z = reparameterize(mean, logVar, ctx);
  const logits = nets.decoder.apply(z, { training: true }) as tf.Tensor4D;
  const reconstruction = bernoulliReconstruction(logits, x);
  const klPerDim = gaussianKlPerDim(mean, logVar);
  return { mean, logVar, z, reconstruction, klPerDim, kl: tf.sum(klPerDim) as tf.Scalar };
}

export function decodeMean(decoder: tfl.LayersModel, z: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => decoderMean('bernoulli', decoder.apply(z) as tf.Tensor4D) as tf.Tensor4D);
}

/** What every model is built from: its encoder/decoder, sizes, Adam settings and the run's RNG. */
export interface ModelBuild {
  nets: VaeNets;
  latentDim: number;
  optimizer: AdamOptions;
  /** for nets beyond the encoder/decoder (e.g. FactorVAE's discriminator) */
  rng: Rng;
  /** number of distinct observations, for estimators of the aggregate posterior (β-TCVAE) */
  datasetSize: number;
  /** the training data's factor names and sizes, for losses that read the batch's factors (ctx.factors) */
  factors?: { names: readonly string[]; sizes: readonly number[] };
}

/** The encoder and decoder weights: what the VAE objective of every model optimises. */
export function vaeVariables(nets: VaeNets): () => tf.Variable[] {
  return () =>
    [...nets.encoder.trainableWeights, ...nets.decoder.trainableWeights].map((w) => w.read() as tf.Variable);
}

/**
 * A Gaussian VAE model whose first objective is `loss` over the encoder and decoder; `extra` adds nets
 * and objectives (an adversary) and marks a batch-coupled loss (model.ts).
 */
export function gaussianVaeModel(
  kind: string,
  build: ModelBuild,
  loss: Objective['loss'],
  extra: { nets?: Record<string, tfl.LayersModel>; objectives?: Objective[]; batchCoupled?: boolean } = {},
): Model {
  const { nets } = build;
  return {
    kind,
    latentDim: build.latentDim,
    nets: { encoder: nets.encoder, decoder: nets.decoder, ...extra.nets },
    encode: (x) => encodeGaussian(nets.encoder, x),
    decode: (code) => decodeMean(nets.decoder, code),
    objectives: [
      { name: 'vae', optimizer: build.optimizer, variables: vaeVariables(nets), loss },
      ...(extra.objectives ?? []),
    ],
    ...(extra.batchCoupled ? { batchCoupled: true } : {}),
  };
}
