import type { Rng } from '../engine/rng.ts';
import type { VaeNets } from '../models/gaussian-vae.ts';
import { assertConv64Shape, conv64Decoder, conv64Encoder } from './conv64.ts';
import { initializeWeights } from './init.ts';
import { mlpDecoder, mlpEncoder } from './mlp.ts';

export const ARCHITECTURES = ['conv64', 'mlp'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export interface NetOptions {
  architecture: Architecture;
  latentDim: number;
  imageShape: readonly [number, number, number];
  /** conv64: kernel size of encoder convs 3 and 4 */
  innerKernel: 2 | 4;
  /** mlp: hidden layer sizes */
  hidden: readonly number[];
  /** total categories of the model's discrete latents (JointVAE), 0 for none */
  discreteDim?: number;
  /** whether the encoder also outputs the discrete latents' logits (JointVAE) or not (CascadeVAE) */
  discreteLogits?: boolean;
}

/** Builds the encoder/decoder pair and initialises it from the run's RNG. */
export function buildVaeNets(options: NetOptions, rng: Rng): VaeNets {
  const { architecture, latentDim, imageShape } = options;
  let nets: VaeNets;
  if (architecture === 'conv64') {
    assertConv64Shape(imageShape);
    const conv = {
      latentDim,
      channels: imageShape[2],
      innerKernel: options.innerKernel,
      discreteDim: options.discreteDim,
      discreteLogits: options.discreteLogits,
    };
    nets = { encoder: conv64Encoder(conv), decoder: conv64Decoder(conv) };
  } else {
    const mlp = {
      latentDim,
      imageShape,
      hidden: options.hidden,
      discreteDim: options.discreteDim,
      discreteLogits: options.discreteLogits,
    };
    nets = { encoder: mlpEncoder(mlp), decoder: mlpDecoder(mlp) };
  }
  initializeWeights(nets.encoder, rng);
  initializeWeights(nets.decoder, rng);
  return nets;
}
