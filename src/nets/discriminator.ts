import * as tfl from '@tensorflow/tfjs-layers';

/**
 * FactorVAE's discriminator (Kim & Mnih 2018, as disentanglement_lib builds it): 6 dense layers of
 * 1000 leaky-ReLU units (slope 0.2), then 2 logits: class 0 "a sample of q(z)", class 1 "permuted".
 */
export function factorDiscriminator(latentDim: number, units = 1000, depth = 6): tfl.LayersModel {
  return tfl.sequential({
    name: 'discriminator',
    layers: [
      tfl.layers.inputLayer({ inputShape: [latentDim] }),
      ...Array.from({ length: depth }, (_, i) => [
        tfl.layers.dense({ units, name: `f${i + 1}` }),
        tfl.layers.leakyReLU({ alpha: 0.2, name: `f${i + 1}_act` }),
      ]).flat(),
      tfl.layers.dense({ units: 2, name: 'logits' }),
    ],
  });
}
