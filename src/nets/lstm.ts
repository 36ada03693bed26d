import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.ts';
import { initializeWeights } from './init.ts';

/**
 * The FHVAE's recurrent nets (Hsu, Zhang & Glass 2017; Hsu & Glass 2018), built from `tf.layers.lstm`:
 * two encoders that read a segment of frames and a decoder that writes one. The encoders summarise a
 * segment by the last hidden state of every LSTM layer (concatenated), followed by one dense layer
 * giving the Gaussian's mean and log-variance; the decoder is fed [z1, z2] at every frame and outputs
 * each frame's Gaussian mean and log-variance. They train on the wasm backend as they are: every kernel
 * an LSTM and its gradient use is registered there (tested in test/fhvae.test.ts).
 */
export interface LstmNetOptions {
  /** feature bins per frame (80 log-mel bins) */
  bins: number;
  /** frames per segment (20) */
  frames: number;
  /** hidden units of every LSTM layer (256) */
  units: number;
  /** stacked LSTM layers in each net (1 in the 2017 paper, 2 in the 2018 code) */
  layers: number;
  /** segment-level latent (32) */
  z1Dim: number;
  /** sequence-level latent (32) */
  z2Dim: number;
}

export const LSTM_NET_DEFAULTS = { frames: 20, units: 256, layers: 1, z1Dim: 32, z2Dim: 32 } as const;

/** q(z2|x): segment [frames, bins] -> [2·z2Dim] (mean, then log-variance). */
export function z2Encoder(o: LstmNetOptions): tfl.LayersModel {
  const x = tfl.input({ shape: [o.frames, o.bins], name: 'segment' });
  const summary = lstmStack(x, o, 'z2_lstm');
  const stats = dense(2 * o.z2Dim, 'z2_gauss').apply(summary) as tfl.SymbolicTensor;
  return tfl.model({ name: 'z2Encoder', inputs: x, outputs: stats });
}

/** q(z1|x, z2): segment [frames, bins] and z2 [z2Dim], z2 appended to every frame -> [2·z1Dim]. */
export function z1Encoder(o: LstmNetOptions): tfl.LayersModel {
  const x = tfl.input({ shape: [o.frames, o.bins], name: 'segment' });
  const z2 = tfl.input({ shape: [o.z2Dim], name: 'z2' });
  const z2PerFrame = tfl.layers.repeatVector({ n: o.frames, name: 'z2_per_frame' }).apply(z2);
  const joined = tfl.layers
    .concatenate({ axis: -1, name: 'segment_z2' })
    .apply([x, z2PerFrame as tfl.SymbolicTensor]) as tfl.SymbolicTensor;
  const summary = lstmStack(joined, o, 'z1_lstm');
  const stats = dense(2 * o.z1Dim, 'z1_gauss').apply(summary) as tfl.SymbolicTensor;
  return tfl.model({ name: 'z1Encoder', inputs: [x, z2], outputs: stats });
}

/** p(x|z1, z2): [z1, z2] fed at every frame -> [frames, 2·bins] (each frame's mean, then log-variance). */
export function sequenceDecoder(o: LstmNetOptions): tfl.LayersModel {
  const z = tfl.input({ shape: [o.z1Dim + o.z2Dim], name: 'z1_z2' });
  let h = tfl.layers.repeatVector({ n: o.frames, name: 'z_per_frame' }).apply(z) as tfl.SymbolicTensor;
  for (let l = 0; l < o.layers; l++) {
    h = tfl.layers
      .lstm({ ...lstmInit, units: o.units, returnSequences: true, name: `dec_lstm${l + 1}` })
      .apply(h) as tfl.SymbolicTensor;
  }
  const stats = dense(2 * o.bins, 'x_gauss').apply(h) as tfl.SymbolicTensor;
  return tfl.model({ name: 'decoder', inputs: z, outputs: stats });
}

/**
 * Initialises an LSTM net from the run's RNG: Glorot-uniform kernels, zero biases except the forget
 * gate's, which starts at 1 (TensorFlow's BasicLSTMCell adds forget_bias = 1, what the authors trained).
 */
export function initializeLstmNet(net: tfl.LayersModel, rng: Rng): void {
  initializeWeights(net, rng);
  for (const layer of net.layers) {
    if (!(layer instanceof tfl.layers.Layer) || layer.getClassName() !== 'LSTM') continue;
    // tfjs uniquifies a second model's weight names (`.../bias_1`): match the suffix too
    const bias = layer.weights.find((w) => /\/bias(_\d+)?$/.test(w.name));
    if (bias === undefined) continue;
    const units = (bias.shape[0] as number) / 4;
    // Keras gate order is [input, forget, cell, output]
    const values = new Float32Array(4 * units);
    values.fill(1, units, 2 * units);
    const value = tf.tensor1d(values);
    bias.write(value);
    value.dispose();
  }
}

// The recurrent kernel's default orthogonal initializer is slow on 256x1024 and is overwritten anyway.
const lstmInit = { kernelInitializer: 'glorotUniform', recurrentInitializer: 'glorotUniform' } as const;

/** Stacked LSTMs over the frames; the last hidden state of each layer, concatenated. */
function lstmStack(input: tfl.SymbolicTensor, o: LstmNetOptions, prefix: string): tfl.SymbolicTensor {
  let sequence = input;
  const finals: tfl.SymbolicTensor[] = [];
  for (let l = 0; l < o.layers; l++) {
    const last = l === o.layers - 1;
    const layer = tfl.layers.lstm({
      ...lstmInit,
      units: o.units,
      returnSequences: !last,
      returnState: !last,
      name: `${prefix}${l + 1}`,
    });
    if (last) {
      finals.push(layer.apply(sequence) as tfl.SymbolicTensor);
    } else {
      // [all hidden states, last hidden state, last cell state]
      const [all, h] = layer.apply(sequence) as tfl.SymbolicTensor[];
      sequence = all;
      finals.push(h);
    }
  }
  return finals.length === 1
    ? finals[0]
    : (tfl.layers.concatenate({ axis: -1, name: `${prefix}_finals` }).apply(finals) as tfl.SymbolicTensor);
}

function dense(units: number, name: string): tfl.layers.Layer {
  return tfl.layers.dense({ units, name, kernelInitializer: 'glorotUniform' });
}
