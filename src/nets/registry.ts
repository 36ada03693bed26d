import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.ts';
import { assertConv64Shape, conv64Decoder, conv64Encoder } from './conv64.ts';
import { initializeWeights } from './init.ts';
import { mlpDecoder, mlpEncoder } from './mlp.ts';

/** An image model's encoder (x -> posterior statistics) and decoder (z -> pixel logits). */
export interface VaeNets {
  encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
}

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

/**
 * The image nets by architecture name (config key `architecture`). A new architecture is one file
 * beside conv64.ts and one entry here.
 */
export const NETS = {
  /** disentanglement_lib's conv encoder/decoder for 64x64 images */
  conv64: (o: NetOptions): VaeNets => {
    assertConv64Shape(o.imageShape);
    const conv = {
      latentDim: o.latentDim,
      channels: o.imageShape[2],
      innerKernel: o.innerKernel,
      discreteDim: o.discreteDim,
      discreteLogits: o.discreteLogits,
    };
    return { encoder: conv64Encoder(conv), decoder: conv64Decoder(conv) };
  },
  /** the lecture's MLP (784-256-64 by default), any image size */
  mlp: (o: NetOptions): VaeNets => {
    const mlp = {
      latentDim: o.latentDim,
      imageShape: o.imageShape,
      hidden: o.hidden,
      discreteDim: o.discreteDim,
      discreteLogits: o.discreteLogits,
    };
    return { encoder: mlpEncoder(mlp), decoder: mlpDecoder(mlp) };
  },
} as const satisfies Record<string, (o: NetOptions) => VaeNets>;

export type Architecture = keyof typeof NETS;
export const ARCHITECTURES = Object.keys(NETS) as [Architecture, ...Architecture[]];

/** Builds the encoder/decoder pair and initialises it from the run's RNG. */
export function buildVaeNets(options: NetOptions, rng: Rng): VaeNets {
  const nets = NETS[options.architecture](options);
  initializeWeights(nets.encoder, rng);
  initializeWeights(nets.decoder, rng);
  return nets;
}
