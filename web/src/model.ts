import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tfl from '@tensorflow/tfjs-layers';
import { categoryCosts, decoderMean } from '../../src/models/decoder-output.ts';
import { decoderInputWidth } from '../../src/models/latent-layout.ts';
import type { RunDetail } from './api.ts';

/**
 * The run's own nets in the browser: the checkpoint's model.json files (standard tfjs Layers format:
 * dense, conv2d, conv2dTranspose, reshape, flatten; no custom layers) loaded with tf.loadLayersModel,
 * on WebGPU with Untangle's WGSL kernels (web/src/webgpu.ts) where the browser offers an adapter, else
 * WebAssembly, else WebGL, else plain JS. `?backend=<name>` in the page URL forces one.
 */
export const BACKENDS = ['webgpu', 'wasm', 'webgl', 'cpu'] as const;

/** Whether the browser offers a WebGPU adapter (asked before tfjs, which warns when it finds none). */
async function hasWebgpuAdapter(): Promise<boolean> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  return gpu != null && (await gpu.requestAdapter()) != null;
}

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
        if (name === 'webgpu' && !asked && !(await hasWebgpuAdapter())) continue;
        if (await tf.setBackend(name)) {
          await tf.ready();
          return name;
        }
      } catch {
        // this backend cannot start here (no WebGPU adapter, WebGL context, WebAssembly): try the next
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
  const code = new Float32Array(decoderInputWidth(latent));
  code.set(z.subarray(0, latent.continuous));
  let offset = latent.continuous;
  latent.discrete.forEach(({ size }, j) => {
    code[offset + Math.min(size - 1, Math.max(0, categories[j] ?? 0))] = 1;
    offset += size;
  });
  return code;
}

/** The decoder's mean image of one code (latent.json's decoder distribution), [h·w·c] in [0, 1]. */
export async function decode(nets: LoadedNets, latent: Latent, code: Float32Array): Promise<Float32Array> {
  const image = tf.tidy(() =>
    decoderMean(latent.decoder, nets.decoder.predict(tf.tensor2d(code, [1, code.length])) as tf.Tensor),
  );
  try {
    return (await image.data()) as Float32Array;
  } finally {
    image.dispose();
  }
}

/**
 * The code of one image and the category of each discrete latent, by the rule latent.json names for it:
 * `encoder`, the argmax of the encoder's logits after [means, log-variances]; `reconstruction`, the
 * category whose decoding reconstructs the image best (src/models/decoder-output.ts, the model's own
 * cost), the latents after it at category 0.
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
  const z = values.slice(0, latent.continuous);
  const categories: number[] = [];
  // the encoder's logits follow [means, log-variances]; only `encoder` latents have any
  let logitOffset = 2 * latent.continuous;
  let codeOffset = latent.continuous;
  for (const [j, { size, inferred }] of latent.discrete.entries()) {
    if (inferred === 'encoder') {
      const logits = Array.from(values.subarray(logitOffset, logitOffset + size));
      categories.push(logits.indexOf(Math.max(...logits)));
      logitOffset += size;
    } else {
      const code = fullCode(latent, z, [...categories, ...latent.discrete.slice(j).map(() => 0)]);
      const part = (start: number, end: number) =>
        end > start ? tf.tensor2d(code.slice(start, end), [1, end - start]) : undefined;
      const costs = tf.tidy(() =>
        categoryCosts(
          latent.decoder,
          (input) => nets.decoder.predict(input) as tf.Tensor,
          tf.tensor2d(z, [1, latent.continuous]),
          tf.tensor(x),
          size,
          { before: part(latent.continuous, codeOffset), after: part(codeOffset + size, code.length) },
        ),
      );
      const row = Array.from((await costs.data()) as Float32Array);
      costs.dispose();
      categories.push(row.indexOf(Math.min(...row)));
    }
    codeOffset += size;
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
