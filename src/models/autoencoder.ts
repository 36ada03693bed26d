import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineModel } from './define.ts';
import {
  bernoulliReconstruction,
  encodeGaussian,
  gaussianVaeModel,
  type ModelBuild,
} from './gaussian-vae.ts';
import type { Model } from './model.ts';

/**
 * The plain autoencoder of the lectures' AE-vs-VAE comparison: the VAE's encoder and decoder, but a
 * deterministic code z = f(x) (the encoder's means half; its log-variance outputs go unused) and the
 * reconstruction alone as the loss, −log p(x | z = f(x)): no KL, no prior on z. Nothing keeps the codes
 * near N(0, I), so its latent scatter spreads where reconstruction puts it and decoded prior draws are
 * poor, where the VAE's are images.
 */
export const autoencoderOptions = z.object({}).strict();

export function createAutoencoder(build: ModelBuild): Model {
  const { encoder, decoder } = build.nets;
  const model = gaussianVaeModel('autoencoder', build, (x) => {
    const { mean: code } = encodeGaussian(encoder, x);
    const reconstruction = bernoulliReconstruction(decoder.apply(code, { training: true }) as tf.Tensor4D, x);
    return { total: reconstruction, terms: { reconstruction } };
  });
  // q(z|x) is a point mass at the code: log-variance −∞ (its KL to any prior is infinite)
  const encode = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const { mean } = encodeGaussian(encoder, x);
      return { mean, logVar: tf.fill(mean.shape, Number.NEGATIVE_INFINITY) as tf.Tensor2D };
    });
  return { ...model, encode };
}

export const autoencoder = defineModel({
  name: 'autoencoder',
  description: 'autoencoder: the VAE nets with a deterministic code, reconstruction only (no KL)',
  options: autoencoderOptions,
  latent: () => ({ code: 'deterministic' }),
  create: (build) => createAutoencoder(build),
});
