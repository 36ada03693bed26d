import * as tfl from '@tensorflow/tfjs-layers';

/** The lecture's MLP VAE nets: 784-256-64 encoder, mirrored Bernoulli decoder (sizes are options). */
export interface MlpOptions {
  latentDim: number;
  imageShape: readonly [number, number, number];
  hidden: readonly number[];
}

export function mlpEncoder({ latentDim, imageShape, hidden }: MlpOptions): tfl.LayersModel {
  return tfl.sequential({
    name: 'encoder',
    layers: [
      tfl.layers.inputLayer({ inputShape: [...imageShape] }),
      tfl.layers.flatten(),
      ...hidden.map((units, i) => tfl.layers.dense({ units, activation: 'relu', name: `e${i + 1}` })),
      tfl.layers.dense({ units: 2 * latentDim, name: 'means_logvars' }),
    ],
  });
}

export function mlpDecoder({ latentDim, imageShape, hidden }: MlpOptions): tfl.LayersModel {
  const size = imageShape[0] * imageShape[1] * imageShape[2];
  return tfl.sequential({
    name: 'decoder',
    layers: [
      tfl.layers.inputLayer({ inputShape: [latentDim] }),
      ...[...hidden]
        .reverse()
        .map((units, i) => tfl.layers.dense({ units, activation: 'relu', name: `d${i + 1}` })),
      tfl.layers.dense({ units: size, name: 'logits' }),
      tfl.layers.reshape({ targetShape: [...imageShape] }),
    ],
  });
}
