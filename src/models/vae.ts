import { z } from 'zod';
import { createBetaVae } from './beta-vae.ts';
import type { VaeNets } from './gaussian-vae.ts';
import type { AdamOptions, Model } from './model.ts';

/** The plain VAE (Kingma & Welling 2014): the negative ELBO, reconstruction + KL. */
export const vaeOptions = z.object({}).strict();

export function createVae(nets: VaeNets, latentDim: number, optimizer: AdamOptions): Model {
  return createBetaVae(nets, latentDim, optimizer, { beta: 1 }, 'vae');
}
