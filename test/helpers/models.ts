import { Rng } from '../../src/engine/rng.ts';
import type { ModelBuild } from '../../src/models/gaussian-vae.ts';
import { buildVaeNets } from '../../src/nets/registry.ts';

/** A 2-latent MLP VAE on 4x4 images. */
export function tinyBuild(seed: number, latentDim = 2): ModelBuild {
  const rng = new Rng(seed);
  const nets = buildVaeNets(
    { architecture: 'mlp', latentDim, imageShape: [4, 4, 1], innerKernel: 2, hidden: [8] },
    rng,
  );
  return {
    nets,
    latentDim,
    rng,
    datasetSize: 1000,
    optimizer: { learningRate: 1e-4, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  };
}
