import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { webgpuSkipReason } from './helpers/webgpu.ts';

type Pad = 'same' | 'valid';
interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: [number, number];
  stride: number;
  pad: Pad;
}

// Strides 1 and 2 (and 3), same and valid padding, odd sizes, 1 to 70 channels (wide ones cross a
// 64-wide tile); the 16x16 valid case has a filter-gradient K (2·14·14) long enough to be split.
const cases: Case[] = [
  { n: 2, h: 7, w: 9, ci: 3, co: 5, k: [3, 3], stride: 1, pad: 'same' },
  { n: 2, h: 16, w: 16, ci: 3, co: 5, k: [3, 3], stride: 1, pad: 'valid' },
  { n: 3, h: 8, w: 8, ci: 1, co: 4, k: [4, 4], stride: 2, pad: 'same' },
  { n: 1, h: 9, w: 7, ci: 6, co: 1, k: [4, 4], stride: 2, pad: 'valid' },
  { n: 2, h: 6, w: 5, ci: 33, co: 70, k: [2, 3], stride: 2, pad: 'same' },
  { n: 1, h: 5, w: 6, ci: 70, co: 20, k: [1, 1], stride: 1, pad: 'valid' },
  { n: 2, h: 11, w: 7, ci: 2, co: 3, k: [4, 4], stride: 3, pad: 'same' },
];

function randomArray(rng: Rng, size: number): Float32Array {
  return rng.fillNormal(new Float32Array(size));
}

/** Forward values and gradients of (fused) conv2d and conv2dTranspose for one case, read asynchronously. */
async function compute(c: Case, seed: number): Promise<Record<string, Float32Array>> {
  const rng = new Rng(seed);
  const x = tf.tensor4d(randomArray(rng, c.n * c.h * c.w * c.ci), [c.n, c.h, c.w, c.ci]);
  const w = tf.tensor4d(randomArray(rng, c.k[0] * c.k[1] * c.ci * c.co), [c.k[0], c.k[1], c.ci, c.co]);
  const bias = tf.tensor1d(randomArray(rng, c.co));
  const y = tf.conv2d(x, w, c.stride, c.pad);
  const dy = tf.tensor(randomArray(rng, y.size), y.shape) as tf.Tensor4D;
  const fused = tf.fused.conv2d({ x, filter: w, strides: c.stride, pad: c.pad, bias, activation: 'relu' });
  const [gx, gw] = tf.grads((...[a, b]: tf.Tensor[]) =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), dy)),
  )([x, w]);
  const inShape: [number, number, number, number] = [c.n, c.h, c.w, c.ci];
  const t = tf.conv2dTranspose(dy, w, inShape, c.stride, c.pad);
  const tensors = { conv: y, fusedConv: fused, convGradInput: gx, convGradFilter: gw, transposed: t };
  const out: Record<string, Float32Array> = {};
  for (const [key, tensor] of Object.entries(tensors)) out[key] = (await tensor.data()) as Float32Array;
  tf.dispose([x, w, bias, dy, ...Object.values(tensors)]);
  return out;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

const label = (c: Case) => `${c.n}x${c.h}x${c.w}x${c.ci}->${c.co} k${c.k.join('x')} s${c.stride} ${c.pad}`;

/** Forward and gradients of (fused) matmuls with every transpose combination and a batched one. */
async function computeMatMuls(): Promise<Float32Array[]> {
  const rng = new Rng(7);
  const a = tf.tensor2d(randomArray(rng, 37 * 19), [37, 19]);
  const b = tf.tensor2d(randomArray(rng, 19 * 70), [19, 70]);
  const bias = tf.tensor1d(randomArray(rng, 70));
  const a3 = tf.tensor3d(randomArray(rng, 3 * 5 * 300), [3, 5, 300]);
  const b3 = tf.tensor3d(randomArray(rng, 3 * 6 * 300), [3, 6, 300]);
  const dense = (x: tf.Tensor, w: tf.Tensor) =>
    tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: 'relu' });
  const [ga, gb] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.square(dense(x, w))))([a, b]);
  const results = [
    tf.matMul(a, b),
    tf.matMul(tf.transpose(a), b, true, false),
    tf.matMul(a, tf.transpose(b), false, true),
    tf.matMul(tf.transpose(a), tf.transpose(b), true, true),
    dense(a, b),
    tf.fused.matMul({ a, b, bias, activation: 'elu' }),
    ga,
    gb,
    tf.matMul(a3, b3, false, true),
  ];
  const out: Float32Array[] = [];
  for (const r of results) out.push((await r.data()) as Float32Array);
  tf.dispose([a, b, bias, a3, b3, ...results]);
  return out;
}

describe('webgpu WGSL kernels match the cpu backend (SwiftShader)', async () => {
  await useBackend('cpu');
  const expected: Record<string, Float32Array>[] = [];
  for (const [i, c] of cases.entries()) expected.push(await compute(c, 100 + i));
  const expectedMatMuls = await computeMatMuls();
  const skip = await webgpuSkipReason();
  const shaders = new Set<string>();
  if (!skip) {
    // record which programs run, to check that ours (not the stock ones) did the work
    const backend = tf.backend() as unknown as {
      runWebGPUProgram(p: { shaderKey: string }, ...rest: unknown[]): unknown;
    };
    const run = backend.runWebGPUProgram.bind(backend);
    backend.runWebGPUProgram = (program, ...rest) => {
      shaders.add(program.shaderKey.split('_').slice(0, 2).join('_'));
      return run(program, ...rest);
    };
  }
  for (const [i, c] of cases.entries()) {
    it(`conv values and gradients agree to 1e-4 relative: ${label(c)}`, { skip }, async () => {
      const before = tf.memory().numTensors;
      const actual = await compute(c, 100 + i);
      for (const key of Object.keys(expected[i])) {
        const err = relativeError(actual[key], expected[i][key]);
        assert.ok(err <= 1e-4, `${key}: relative error ${err.toExponential(2)} > 1e-4`);
      }
      assert.equal(tf.memory().numTensors, before, 'the kernels leak no tensors');
    });
  }

  it('matmuls with transposed operands, fused bias+activation and their gradients agree to 1e-4', {
    skip,
  }, async () => {
    const actual = await computeMatMuls();
    actual.forEach((got, i) => {
      const err = relativeError(got, expectedMatMuls[i]);
      assert.ok(err <= 1e-4, `matmul variant ${i}: relative error ${err.toExponential(2)} > 1e-4`);
    });
  });

  it('the work ran in our WGSL programs, split-K included', { skip }, () => {
    for (const key of ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'matmul']) {
      assert.ok(
        shaders.has(`untangleGemm_${key}`),
        `no untangleGemm_${key} among ${[...shaders].join(', ')}`,
      );
    }
    assert.ok(
      [...shaders].some((key) => key.startsWith('untangleReduceSplits')),
      'split-K never ran',
    );
  });
});
