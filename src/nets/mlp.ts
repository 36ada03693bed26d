import * as tfl from '@tensorflow/tfjs-layers';

/** The lecture's MLP VAE nets: 784-256-64 encoder, mirrored Bernoulli decoder (sizes are options). */
export interface MlpOptions {
  latentDim: number;
  imageShape: readonly [number, number, number];
  hidden: readonly number[];
  /** categories of discrete latents (JointVAE): their logits follow the Gaussian statistics */
  discreteDim?: number;
  /** whether the encoder also outputs the discrete latents' logits (JointVAE) or not (CascadeVAE) */
  discreteLogits?: boolean;
}

export function mlpEncoder({
  latentDim,
  imageShape,
  hidden,
  discreteDim = 0,
  discreteLogits = true,
}: MlpOptions): tfl.LayersModel {
  return tfl.sequential({
    name: 'encoder',
    layers: [
      tfl.layers.inputLayer({ inputShape: [...imageShape] }),
      tfl.layers.flatten(),
      ...hidden.map((units, i) => tfl.layers.dense({ units, activation: 'relu', name: `e${i + 1}` })),
      tfl.layers.dense({ units: 2 * latentDim + (discreteLogits ? discreteDim : 0), name: 'means_logvars' }),
    ],
  });
}

export function mlpDecoder({ latentDim, imageShape, hidden, discreteDim = 0 }: MlpOptions): tfl.LayersModel {
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  return tfl.sequential({
    name: 'decoder',
    layers: [
      tfl.layers.inputLayer({ inputShape: [latentDim + discreteDim] }),
      ...[...hidden]
        .reverse()
        .map((units, i) => tfl.layers.dense({ units, activation: 'relu', name: `d${i + 1}` })),
      tfl.layers.dense({ units: size, name: 'logits' }),
      tfl.layers.reshape({ targetShape: [...imageShape] }),
    ],
  });
}
