import type { z } from 'zod';
import { InputError } from '../io/input-error.ts';
import { annealedVaeOptions, createAnnealedVae } from './annealed-vae.ts';
import { betaTcVaeOptions, createBetaTcVae } from './beta-tcvae.ts';
import { betaVaeOptions, createBetaVae } from './beta-vae.ts';
import { cascadeVaeOptions, createCascadeVae } from './cascade-vae.ts';
import { createDipVae, dipVaeOptions } from './dip-vae.ts';
import { createFactorVae, factorVaeOptions } from './factor-vae.ts';
import { createFairVae, fairVaeOptions } from './fair-vae.ts';
import type { ModelBuild } from './gaussian-vae.ts';
import { createJointVae, jointVaeOptions } from './joint-vae.ts';
import type { Model } from './model.ts';
import { createSemiSupervisedVae, semiSupervisedVaeOptions } from './semi-supervised-vae.ts';
import { createVae, vaeOptions } from './vae.ts';

export interface ModelEntry {
  description: string;
  /** the model's own options, validated from config (`--set beta=8`) */
  options: z.ZodObject;
  /** disentanglement_lib's sweep values, for `--preset dlib` and sweeps */
  dlibSweep: Record<string, readonly number[]>;
  create(build: ModelBuild, options: Record<string, unknown>): Model;
  /** categories of each discrete latent, when the model has some (the nets grow to carry them) */
  discreteSizes?(options: Record<string, unknown>): number[];
  /** false when the encoder does not output the discrete logits (the model infers the category itself) */
  encodesDiscrete?: boolean;
}

/** Every trainable model by its CLI name; a new model is one file and one line here. */
export const MODELS: Record<string, ModelEntry> = {
  vae: {
    description: 'VAE (Kingma & Welling 2014)',
    options: vaeOptions,
    dlibSweep: {},
    create: (build) => createVae(build),
  },
  'beta-vae': {
    description: 'β-VAE (Higgins et al. 2017): reconstruction + β·KL',
    options: betaVaeOptions,
    dlibSweep: { beta: [1, 2, 4, 6, 8, 16] },
    create: (build, options) => createBetaVae(build, betaVaeOptions.parse(options)),
  },
  'annealed-vae': {
    description: 'AnnealedVAE (Burgess et al. 2018): reconstruction + γ|KL − C|, C annealed to C_max',
    options: annealedVaeOptions,
    dlibSweep: { capacityMax: [5, 10, 25, 50, 75, 100] },
    create: (build, options) => createAnnealedVae(build, annealedVaeOptions.parse(options)),
  },
  'beta-tcvae': {
    description: 'β-TCVAE (Chen et al. 2018): reconstruction + α·MI + β·TC + γ·dimension-wise KL',
    options: betaTcVaeOptions,
    dlibSweep: { beta: [1, 2, 4, 6, 8, 10] },
    create: (build, options) => createBetaTcVae(build, betaTcVaeOptions.parse(options)),
  },
  'factor-vae': {
    description: 'FactorVAE (Kim & Mnih 2018): ELBO + γ·TC by a discriminator with its own Adam',
    options: factorVaeOptions,
    dlibSweep: { gamma: [10, 20, 30, 40, 50, 100] },
    create: (build, options) => createFactorVae(build, factorVaeOptions.parse(options)),
  },
  'dip-vae-i': {
    description: 'DIP-VAE-I (Kumar et al. 2018): ELBO + covariance of the encoder means pushed to I',
    options: dipVaeOptions,
    dlibSweep: { lambdaOffDiagonal: [1, 2, 5, 10, 20, 50] },
    create: (build, options) => createDipVae(build, dipVaeOptions.parse(options), 'i'),
  },
  'dip-vae-ii': {
    description: 'DIP-VAE-II (Kumar et al. 2018): ELBO + covariance of the aggregate posterior pushed to I',
    options: dipVaeOptions,
    dlibSweep: { lambdaOffDiagonal: [1, 2, 5, 10, 20, 50] },
    create: (build, options) => createDipVae(build, dipVaeOptions.parse(options), 'ii'),
  },
  'joint-vae': {
    description: 'JointVAE (Dupont 2018): continuous + Gumbel-softmax discrete latents, a capacity for each',
    options: jointVaeOptions,
    dlibSweep: {},
    create: (build, options) => createJointVae(build, jointVaeOptions.parse(options)),
    discreteSizes: (options) => jointVaeOptions.parse(options).discreteSizes,
  },
  'cascade-vae': {
    description:
      'CascadeVAE (Jeong & Song 2019): KL weights relieved dim by dim, a discrete latent by alternating minimisation',
    options: cascadeVaeOptions,
    dlibSweep: {},
    create: (build, options) => createCascadeVae(build, cascadeVaeOptions.parse(options)),
    discreteSizes: (options) => [cascadeVaeOptions.parse(options).categories],
    encodesDiscrete: false,
  },
  'semi-supervised-vae': {
    description:
      'semi-supervised VAE M2 (Kingma et al. 2014): style z and class y, labels observed for some examples (mnist-semi)',
    options: semiSupervisedVaeOptions,
    dlibSweep: {},
    create: (build, options) => createSemiSupervisedVae(build, semiSupervisedVaeOptions.parse(options)),
    discreteSizes: (options) => [semiSupervisedVaeOptions.parse(options).classes],
  },
  'fair-vae': {
    description:
      "fair VAE (Louizos et al. 2016, VFAE): decoder told a sensitive s, β·MMD between the groups' codes (mnist-sensitive)",
    options: fairVaeOptions,
    dlibSweep: {},
    create: (build, options) => createFairVae(build, fairVaeOptions.parse(options)),
    discreteSizes: () => [2],
    encodesDiscrete: false,
  },
};

export function modelEntry(name: string): ModelEntry {
  const entry = MODELS[name];
  if (entry == null)
    throw new InputError(`unknown model "${name}": expected one of ${Object.keys(MODELS).join(', ')}`);
  return entry;
}
