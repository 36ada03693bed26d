import { z } from 'zod';
import { createBetaVae } from './beta-vae.ts';
import { defineModel } from './define.ts';
import type { ModelBuild } from './gaussian-vae.ts';
import type { Model } from './model.ts';

/** The plain VAE (Kingma & Welling 2014): the negative ELBO, reconstruction + KL. */
export const vaeOptions = z.object({}).strict();

export function createVae(build: ModelBuild): Model {
  return createBetaVae(build, { beta: 1 }, 'vae');
}

export const vae = defineModel({
  name: 'vae',
  description: 'VAE (Kingma & Welling 2014)',
  options: vaeOptions,
  paper: { source: 'Kingma & Welling 2014 (dSprites as in Higgins et al. 2017): the defaults', config: {} },
  create: (build) => createVae(build),
});
