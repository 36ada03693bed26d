import type { z } from 'zod';
import { InputError } from '../io/input-error.ts';
import { annealedVaeOptions, createAnnealedVae } from './annealed-vae.ts';
import { betaVaeOptions, createBetaVae } from './beta-vae.ts';
import type { VaeNets } from './gaussian-vae.ts';
import type { AdamOptions, Model } from './model.ts';
import { createVae, vaeOptions } from './vae.ts';

export interface ModelEntry {
  description: string;
  /** the model's own options, validated from config (`--set beta=8`) */
  options: z.ZodObject;
  /** disentanglement_lib's sweep values, for `--preset dlib` and sweeps */
  dlibSweep: Record<string, readonly number[]>;
  create(nets: VaeNets, latentDim: number, optimizer: AdamOptions, options: Record<string, unknown>): Model;
}

/** Every trainable model by its CLI name; a new model is one file and one line here. */
export const MODELS: Record<string, ModelEntry> = {
  vae: {
    description: 'VAE (Kingma & Welling 2014)',
    options: vaeOptions,
    dlibSweep: {},
    create: (nets, latentDim, optimizer) => createVae(nets, latentDim, optimizer),
  },
  'beta-vae': {
    description: 'β-VAE (Higgins et al. 2017): reconstruction + β·KL',
    options: betaVaeOptions,
    dlibSweep: { beta: [1, 2, 4, 6, 8, 16] },
    create: (nets, latentDim, optimizer, options) =>
      createBetaVae(nets, latentDim, optimizer, betaVaeOptions.parse(options)),
  },
  'annealed-vae': {
    description: 'AnnealedVAE (Burgess et al. 2018): reconstruction + γ|KL − C|, C annealed to C_max',
    options: annealedVaeOptions,
    dlibSweep: { capacityMax: [5, 10, 25, 50, 75, 100] },
    create: (nets, latentDim, optimizer, options) =>
      createAnnealedVae(nets, latentDim, optimizer, annealedVaeOptions.parse(options)),
  },
};

export function modelEntry(name: string): ModelEntry {
  const entry = MODELS[name];
  if (entry == null)
    throw new InputError(`unknown model "${name}": expected one of ${Object.keys(MODELS).join(', ')}`);
  return entry;
}
