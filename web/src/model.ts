import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tfl from '@tensorflow/tfjs-layers';
import type { RunDetail } from './api.ts';

/**
 * The run's own nets in the browser: the checkpoint's model.json files (standard tfjs Layers format:
 * dense, conv2d, conv2dTranspose, reshape, flatten; no custom layers) loaded with tf.loadLayersModel,
 * on WebGL where the browser has it, else WebAssembly, else plain JS.
 */
export const BACKENDS = ['webgl', 'wasm', 'cpu'] as const;

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

let backendReady: Promise<string> | undefined;

/** Starts the first backend that works (or the one `?backend=` in the page URL asks for). */
export function startBackend(): Promise<string> {
  backendReady ??= (async () => {
    const asked = new URLSearchParams(location.search).get('backend');
    const order = asked ? [asked] : BACKENDS;
    for (const name of order) {
      try {
        if (await tf.setBackend(name)) {
          await tf.ready();
          return name;
        }
      } catch {
        // this backend cannot start here (no WebGL context, no WebAssembly): try the next
      }
    }
    throw new Error(`no tfjs backend could start (tried ${order.join(', ')})`);
  })();
  return backendReady;
}

export type Latent = NonNullable<RunDetail['latent']>;

export interface LoadedNets {
  decoder: tfl.LayersModel;
  encoder: tfl.LayersModel | null;
  /** [height, width, channels] of a decoded image */
  imageShape: [number, number, number];
  backend: string;
}

export async function loadNets(detail: RunDetail): Promise<LoadedNets> {
  const backend = await startBackend();
  const nets = detail.checkpoint?.nets ?? [];
  const url = (name: string) => {
    const net = nets.find((n) => n.name === name);
    return net ? new URL(net.modelUrl, location.href).href : null;
  };
  const decoderUrl = url('decoder');
  if (decoderUrl == null) throw new Error('the run has no checkpoint/decoder/model.json yet');
  const encoderUrl = url('encoder');
  const [decoder, encoder] = await Promise.all([
    tfl.loadLayersModel(decoderUrl),
    encoderUrl ? tfl.loadLayersModel(encoderUrl) : Promise.resolve(null),
  ]);
  const out = decoder.outputs[0].shape;
  return { decoder, encoder, imageShape: [out[1]!, out[2]!, out[3]!], backend };
}

export function disposeNets(nets: LoadedNets | null): void {
  nets?.decoder.dispose();
  nets?.encoder?.dispose();
}

/** The decoder's input: the continuous code followed by a one-hot of each discrete latent's category. */
export function fullCode(latent: Latent, z: Float32Array, categories: number[]): Float32Array {
  const width = latent.dim + latent.discreteSizes.reduce((a, b) => a + b, 0);
  const code = new Float32Array(width);
  code.set(z.subarray(0, latent.dim));
  let offset = latent.dim;
  latent.discreteSizes.forEach((k, j) => {
    code[offset + Math.min(k - 1, Math.max(0, categories[j] ?? 0))] = 1;
    offset += k;
  });
  return code;
}

/** Bernoulli means (sigmoid of the decoder's logits) of one code, [h·w·c] in [0, 1]. */
export async function decode(nets: LoadedNets, code: Float32Array): Promise<Float32Array> {
  const image = tf.tidy(() =>
    tf.sigmoid(nets.decoder.predict(tf.tensor2d(code, [1, code.length])) as tf.Tensor),
  );
  try {
    return (await image.data()) as Float32Array;
  } finally {
    image.dispose();
  }
}

/**
 * The posterior mean of one image and the most probable category of each discrete latent: from the
 * encoder's logits (JointVAE), or, for a model whose encoder has none (CascadeVAE), the category whose
 * decoding reconstructs the image best (the model's own rule).
 */
export async function encode(
  nets: LoadedNets,
  latent: Latent,
  x: Float32Array,
): Promise<{ z: Float32Array; categories: number[] }> {
  if (nets.encoder == null) throw new Error('the run has no checkpoint/encoder/model.json');
  const [h, w, c] = nets.imageShape;
  const stats = tf.tidy(() => nets.encoder!.predict(tf.tensor4d(x, [1, h, w, c])) as tf.Tensor);
  const values = (await stats.data()) as Float32Array;
  stats.dispose();
  const z = values.slice(0, latent.dim);
  const categories: number[] = [];
  if (latent.encodesDiscrete) {
    let offset = 2 * latent.dim;
    for (const k of latent.discreteSizes) {
      const logits = Array.from(values.subarray(offset, offset + k));
      categories.push(logits.indexOf(Math.max(...logits)));
      offset += k;
    }
  } else {
    for (const [j, k] of latent.discreteSizes.entries()) {
      const costs: number[] = [];
      for (let category = 0; category < k; category++) {
        const trial = [...categories, category];
        const cost = tf.tidy(() => {
          const code = fullCode(latent, z, [...trial, ...latent.discreteSizes.slice(j + 1).map(() => 0)]);
          const logits = nets.decoder.predict(tf.tensor2d(code, [1, code.length])) as tf.Tensor;
          const target = tf.tensor(x, logits.shape);
          // Bernoulli negative log-likelihood summed over pixels, in the overflow-free form
          return tf.sum(
            tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.softplus(tf.neg(tf.abs(logits)))),
          );
        });
        costs.push((await cost.data())[0]);
        cost.dispose();
      }
      categories.push(costs.indexOf(Math.min(...costs)));
    }
  }
  return { z, categories };
}

/** Pixels in [0, 1] ([h·w·c], c = 1 or 3) as RGBA for a canvas. */
export function toImageData(pixels: Float32Array, [h, w, c]: [number, number, number]): ImageData {
  const rgba = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    for (let ch = 0; ch < 3; ch++) rgba[p * 4 + ch] = Math.round(255 * pixels[p * c + (c === 1 ? 0 : ch)]);
    rgba[p * 4 + 3] = 255;
  }
  return new ImageData(rgba, w, h);
}
