import * as tfl from '@tensorflow/tfjs-layers';

/**
 * The standard conv encoder/decoder of disentanglement_lib (Locatello et al. 2019) for 64x64 images.
 * Its code uses 2x2 kernels in the third and fourth encoder convs while the papers say 4x4: an option,
 * defaulting to the code.
 */
export interface Conv64Options {
  latentDim: number;
  channels: number;
  /** kernel size of encoder convs 3 and 4 */
  innerKernel: 2 | 4;
  /** categories of discrete latents (JointVAE): their logits follow the Gaussian statistics */
  discreteDim?: number;
  /** whether the encoder also outputs the discrete latents' logits (JointVAE) or not (CascadeVAE) */
  discreteLogits?: boolean;
}

/** x [n,64,64,c] -> [n, 2z]: the posterior means followed by the log-variances. */
export function conv64Encoder({
  latentDim,
  channels,
  innerKernel,
  discreteDim = 0,
  discreteLogits = true,
}: Conv64Options): tfl.LayersModel {
  const conv = (filters: number, kernelSize: number, name: string) =>
    tfl.layers.conv2d({ filters, kernelSize, strides: 2, padding: 'same', activation: 'relu', name });
  return tfl.sequential({
    name: 'encoder',
    layers: [
      tfl.layers.inputLayer({ inputShape: [64, 64, channels] }),
      conv(32, 4, 'e1'),
      conv(32, 4, 'e2'),
      conv(64, innerKernel, 'e3'),
      conv(64, innerKernel, 'e4'),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 256, activation: 'relu', name: 'e5' }),
      tfl.layers.dense({ units: 2 * latentDim + (discreteLogits ? discreteDim : 0), name: 'means_logvars' }),
    ],
  });
}

/** z [n,z] -> Bernoulli logits [n,64,64,c]. */
export function conv64Decoder({ latentDim, channels, discreteDim = 0 }: Conv64Options): tfl.LayersModel {
  const deconv = (filters: number, name: string, activation: 'relu' | 'linear' = 'relu') =>
    tfl.layers.conv2dTranspose({ filters, kernelSize: 4, strides: 2, padding: 'same', activation, name });
  return tfl.sequential({
    name: 'decoder',
    layers: [
      tfl.layers.inputLayer({ inputShape: [latentDim + discreteDim] }),
      tfl.layers.dense({ units: 256, activation: 'relu', name: 'd1' }),
      tfl.layers.dense({ units: 1024, activation: 'relu', name: 'd2' }),
      tfl.layers.reshape({ targetShape: [4, 4, 64] }),
      deconv(64, 'd3'),
      deconv(32, 'd4'),
      deconv(32, 'd5'),
      deconv(channels, 'logits', 'linear'),
    ],
  });
}

export type ImageShape = readonly [number, number, number];

export function assertConv64Shape(shape: ImageShape): void {
  if (shape[0] !== 64 || shape[1] !== 64) {
    throw new Error(`the conv64 nets need 64x64 images, the dataset has ${shape[0]}x${shape[1]}`);
  }
}
