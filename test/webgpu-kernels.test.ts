import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { adamStepVariables } from '../src/engine/kernels/webgpu/adam.ts';
import { Rng } from '../src/engine/rng.ts';
import {
  CONV_CASES,
  convCaseLabel,
  convCaseOutputs,
  randomArray,
  relativeError,
} from './helpers/conv-cases.ts';
import {
  gatherGradLoop,
  SEGMENT_SUM_CASES,
  segmentSumLoop,
  segmentSumsOnBackend,
} from './helpers/segment-sums.ts';
import { webgpuSkipReason } from './helpers/webgpu.ts';

/** Forward and gradients of (fused) matmuls with every transpose combination and a batched one. */
async function computeMatMuls(): Promise<Float32Array[]> {
  const rng = new Rng(7);
  const a = tf.tensor2d(randomArray(rng, 37 * 19), [37, 19]);
  const b = tf.tensor2d(randomArray(rng, 19 * 70), [19, 70]);
  const bias = tf.tensor1d(randomArray(rng, 70));
  const a3 = tf.tensor3d(randomArray(rng, 3 * 5 * 300), [3, 5, 300]);
  const b3 = tf.tensor3d(randomArray(rng, 3 * 6 * 300), [3, 6, 300]);
  // a dense layer with a long K (a conv64 encoder's 1024 -> 256): split-K, bias and ReLU after the sum
  const along = tf.tensor2d(randomArray(rng, 3 * 2048), [3, 2048]);
  const blong = tf.tensor2d(randomArray(rng, 2048 * 70), [2048, 70]);
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
    tf.fused.matMul({ a: along, b: blong, bias, activation: 'relu' }),
  ];
  const out: Float32Array[] = [];
  for (const r of results) out.push((await r.data()) as Float32Array);
  tf.dispose([a, b, bias, a3, b3, along, blong, ...results]);
  return out;
}

const ADAM = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
const ADAM_SHAPE = [300, 7];
const adamGradient = (t: number) => new Rng(20 + t).fillNormal(new Float32Array(2100));
const lrAt = (t: number) => (ADAM.learningRate * Math.sqrt(1 - ADAM.beta2 ** t)) / (1 - ADAM.beta1 ** t);

/** Three Adam steps in the float32 TensorFlow form (tensor ops, as update/device.ts off webgpu): θ, m, v. */
async function tensorFormAdam(): Promise<Float32Array[]> {
  let theta = tf.tensor(new Rng(19).fillNormal(new Float32Array(2100)), ADAM_SHAPE);
  let m = tf.zerosLike(theta);
  let v = tf.zerosLike(theta);
  for (let t = 1; t <= 3; t++) {
    const g = tf.tensor(adamGradient(t), ADAM_SHAPE);
    const next = tf.tidy(() => {
      const m2 = tf.add(tf.mul(m, ADAM.beta1), tf.mul(g, 1 - ADAM.beta1));
      const v2 = tf.add(tf.mul(v, ADAM.beta2), tf.mul(tf.square(g), 1 - ADAM.beta2));
      return [tf.sub(theta, tf.div(tf.mul(m2, lrAt(t)), tf.add(tf.sqrt(v2), ADAM.epsilon))), m2, v2];
    });
    tf.dispose([theta, m, v, g]);
    [theta, m, v] = next;
  }
  const out = [theta, m, v].map((x) => x.dataSync() as Float32Array);
  tf.dispose([theta, m, v]);
  return out;
}

describe('webgpu WGSL kernels match the cpu backend (SwiftShader)', async () => {
  await useBackend('cpu');
  const expected: Record<string, Float32Array>[] = [];
  for (const [i, c] of CONV_CASES.entries()) expected.push(await convCaseOutputs(c, 100 + i));
  const expectedMatMuls = await computeMatMuls();
  const cpuSegmentSums = await segmentSumsOnBackend(4);
  const cpuAdam = await tensorFormAdam();
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
  for (const [i, c] of CONV_CASES.entries()) {
    it(`conv values and gradients agree to 1e-4 relative: ${convCaseLabel(c)}`, { skip }, async () => {
      const before = tf.memory().numTensors;
      const actual = await convCaseOutputs(c, 100 + i);
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

  it('UnsortedSegmentSum (a gather’s gradient) adds rows in batch order in float32, no atomics; cpu agrees', {
    skip,
  }, async () => {
    const gpu = await segmentSumsOnBackend(4);
    SEGMENT_SUM_CASES.forEach((c, i) => {
      assert.deepEqual(gpu.sums[i], segmentSumLoop(c, 4), `case ${i}: the float32 loop, bit for bit`);
      assert.deepEqual(gpu.grads[i], gatherGradLoop(c, 4), `case ${i}: gather's gradient, bit for bit`);
      for (const key of ['sums', 'grads'] as const) {
        const err = relativeError(gpu[key][i], cpuSegmentSums[key][i]);
        assert.ok(err <= 1e-6, `case ${i} ${key}: relative error to cpu ${err.toExponential(2)}`);
      }
    });
  });

  it('Adam in one in-place dispatch per variable follows the float32 TensorFlow form on cpu', {
    skip,
  }, async () => {
    const backend = tf.backend() as unknown as { runWebGPUProgram(...args: unknown[]): unknown };
    const run = backend.runWebGPUProgram;
    // a variable made from a tensor that stays alive: its buffer is shared, so the first step copies it
    const initial = tf.tensor(new Rng(19).fillNormal(new Float32Array(2100)), ADAM_SHAPE);
    const theta = tf.variable(initial);
    const mv = tf.variable(tf.zeros([2 * 2100]));
    let programs = 0;
    try {
      for (let t = 1; t <= 3; t++) {
        const g = tf.tensor(adamGradient(t), ADAM_SHAPE);
        await g.data();
        const before = tf.memory().numTensors;
        programs = 0;
        backend.runWebGPUProgram = (...args: unknown[]) => {
          programs += 1;
          return run.apply(backend, args);
        };
        adamStepVariables(theta, g, mv, { lrT: lrAt(t), ...ADAM });
        backend.runWebGPUProgram = run;
        assert.equal(programs, t === 1 ? 2 : 0, `step ${t}: tfjs programs (copies of shared buffers only)`);
        assert.equal(tf.memory().numTensors, before, `step ${t}: no new tensors`);
        g.dispose();
        // a read caches θ on the host; the next step must not leave that copy stale
        await theta.data();
      }
      const [m, v] = [mv.slice(0, 2100), mv.slice(2100)];
      const got = [await theta.data(), await m.data(), await v.data()];
      tf.dispose([m, v]);
      ['θ', 'm', 'v'].forEach((name, i) => {
        const err = relativeError(got[i], cpuAdam[i]);
        assert.ok(err <= 1e-5, `${name} after 3 steps: relative error ${err.toExponential(2)}`);
      });
      assert.deepEqual(
        await initial.data(),
        new Rng(19).fillNormal(new Float32Array(2100)),
        'the tensor the variable was made from is untouched',
      );
    } finally {
      backend.runWebGPUProgram = run;
      tf.dispose([initial, theta, mv]);
    }
  });

  it('the work ran in our WGSL programs, split-K included', { skip }, () => {
    assert.ok(shaders.has('untangleUnsortedSegmentSum'), 'our UnsortedSegmentSum never ran');
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
