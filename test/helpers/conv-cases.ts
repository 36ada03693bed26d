import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/engine/rng.ts';

/**
 * The convolution cases every kernel family of ours is checked on against the cpu backend (wasm and
 * native in test/wasm-kernels.test.ts, WGSL in test/webgpu-kernels.test.ts and in Chromium): strides
 * 1, 2 and 3, same and valid padding, odd sizes, 1 to 70 channels. The wasm/native kernels take a
 * matmul route for ≤ 4 image channels and XNNPACK/im2col for more; the WGSL GEMMs cross a 32-wide
 * tile at 33+ channels and split K for the filter gradient of the 16x16 valid case (2·14·14 terms).
 * Browser-safe (no Node imports): the Chromium page imports it too.
 */
export interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  stride: number;
  pad: 'same' | 'valid';
}

export const CONV_CASES: ConvCase[] = [
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: [3, 3], stride: 1, pad: 'same' },
  { n: 2, h: 16, w: 16, ci: 3, co: 5, k: [3, 3], stride: 1, pad: 'valid' },
  { n: 2, h: 7, w: 9, ci: 8, co: 5, k: [3, 3], stride: 1, pad: 'same' },
  { n: 3, h: 8, w: 8, ci: 1, co: 4, k: [4, 4], stride: 2, pad: 'same' },
  { n: 3, h: 8, w: 8, ci: 7, co: 4, k: [4, 4], stride: 2, pad: 'valid' },
  { n: 1, h: 9, w: 7, ci: 6, co: 1, k: [4, 4], stride: 2, pad: 'valid' },
  { n: 1, h: 5, w: 6, ci: 2, co: 2, k: [2, 3], stride: 2, pad: 'same' },
  { n: 2, h: 6, w: 5, ci: 33, co: 70, k: [2, 3], stride: 2, pad: 'same' },
  { n: 1, h: 5, w: 6, ci: 70, co: 20, k: [1, 1], stride: 1, pad: 'valid' },
  { n: 2, h: 9, w: 5, ci: 4, co: 1, k: [1, 1], stride: 2, pad: 'same' },
  { n: 2, h: 11, w: 7, ci: 2, co: 3, k: [4, 4], stride: 3, pad: 'same' },
  { n: 2, h: 11, w: 7, ci: 6, co: 3, k: [4, 4], stride: 3, pad: 'valid' },
];

export const convCaseLabel = (c: ConvCase) =>
  `${c.n}x${c.h}x${c.w}x${c.ci}->${c.co} k${c.k.join('x')} s${c.stride} ${c.pad}`;

export function randomArray(rng: Rng, size: number): Float32Array {
  return rng.fillNormal(new Float32Array(size));
}

/**
 * Forward values and gradients of conv2d, fused conv2d (+ bias, ReLU) and conv2dTranspose for one case
 * on the current backend, from inputs drawn with `seed`; read asynchronously, so a GPU backend runs it.
 */
export async function convCaseOutputs(c: ConvCase, seed: number): Promise<Record<string, Float32Array>> {
  const rng = new Rng(seed);
  const inShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
  const x = tf.tensor4d(randomArray(rng, c.n * c.h * c.w * c.ci), inShape);
  const w = tf.tensor4d(randomArray(rng, c.k[0] * c.k[1] * c.ci * c.co), [c.k[0], c.k[1], c.ci, c.co]);
  const bias = tf.tensor1d(randomArray(rng, c.co));
  const y = tf.conv2d(x, w, c.stride, c.pad);
  const dy = tf.tensor(randomArray(rng, y.size), y.shape) as tf.Tensor4D;
  const fused = tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, bias, activation: 'relu' });
  const [gx, gw] = tf.grads((...[a, b]: tf.Tensor[]) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)),
  )([x, w]);
  // conv2dTranspose maps dy's shape back to x's: forward, and its gradients w.r.t. dy and the filter
  const t = tf.conv2dTranspose(dy, w, inShape, c.stride, c.pad);
  const dt = tf.tensor(randomArray(rng, t.size), t.shape) as tf.Tensor4D;
  const [gdy, gw2] = tf.grads((...[a, b]: tf.Tensor[]) =>
    tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, inShape, c.stride, c.pad), dt)),
  )([dy, w]);
  const tensors = {
    conv: y,
    fusedConv: fused,
    convGradInput: gx,
    convGradFilter: gw,
    transposed: t,
    transposedGradInput: gdy,
    transposedGradFilter: gw2,
  };
  const out: Record<string, Float32Array> = {};
  for (const [key, tensor] of Object.entries(tensors)) out[key] = (await tensor.data()) as Float32Array;
  tf.dispose([x, w, bias, dy, dt, ...Object.values(tensors)]);
  return out;
}

/** Largest absolute difference over the largest magnitude of `expected` (max-norm relative error). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length)
    throw new Error(`lengths differ: ${actual.length} vs ${expected.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}
