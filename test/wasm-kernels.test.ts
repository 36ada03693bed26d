import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { BERNOULLI_NLL, bernoulliNll, RELU_GRAD, reluGradient } from '../src/engine/fused-ops.ts';
import { nativeAddon } from '../src/engine/kernels/native/addon.ts';
import { RELU_CONV } from '../src/engine/kernels/native/fused-training.ts';
import { preferNativeKernels } from '../src/engine/kernels/wasm/register.ts';
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

// Both engines of the wasm backend: the native AVX2/FMA addon where it loads, our wasm kernels always.
const engines = nativeAddon() ? [true, false] : [false];
const engineName = (native: boolean) => (native ? 'native' : 'wasm');

describe('wasm-backend kernels (native and wasm) match the cpu backend', async () => {
  const expected: Record<string, Float32Array>[] = [];
  await useBackend('cpu');
  for (const [i, c] of CONV_CASES.entries()) expected.push(await convCaseOutputs(c, 100 + i));
  await useBackend('wasm');
  CONV_CASES.forEach((c, i) => {
    for (const native of engines) {
      it(`${engineName(native)}: values and gradients agree to 1e-4 relative: ${convCaseLabel(c)}`, async () => {
        preferNativeKernels(native);
        const before = tf.memory().numTensors;
        const actual = await convCaseOutputs(c, 100 + i);
        for (const key of Object.keys(expected[i])) {
          const err = relativeError(actual[key], expected[i][key]);
          assert.ok(err <= 1e-4, `${key}: relative error ${err.toExponential(2)} > 1e-4`);
        }
        assert.equal(tf.memory().numTensors, before, 'the kernels leak no tensors');
      });
    }
  });

  it('native and wasm conv kernels run the same fused conv + bias + ReLU (inference)', {
    skip: engines.length < 2,
  }, () => {
    const run = () => {
      const rng = new Rng(5);
      const x = tf.tensor4d(randomArray(rng, 3 * 9 * 7 * 5), [3, 9, 7, 5]);
      const w = tf.tensor4d(randomArray(rng, 4 * 4 * 5 * 6), [4, 4, 5, 6]);
      const bias = tf.tensor1d(randomArray(rng, 6));
      const outs = (['relu', 'linear'] as const).map((activation) =>
        tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'same', bias, activation }),
      );
      const values = outs.map((t) => t.dataSync() as Float32Array);
      tf.dispose([x, w, bias, ...outs]);
      return values;
    };
    preferNativeKernels(true);
    const got = run();
    preferNativeKernels(false);
    const want = run();
    got.forEach((g, i) => {
      const err = relativeError(g, want[i]);
      assert.ok(err <= 1e-5, `activation ${i}: relative error ${err}`);
    });
    assert.ok(
      got[0].every((v) => v >= 0),
      'ReLU output is non-negative',
    );
  });

  it("native: a relu conv under a gradient tape runs one fused kernel, with the unfused path's gradients bit for bit", {
    skip: engines.length < 2,
  }, async () => {
    preferNativeKernels(true);
    const rng = new Rng(17);
    const x = tf.tensor4d(randomArray(rng, 3 * 9 * 7 * 5), [3, 9, 7, 5]);
    const w = tf.tensor4d(randomArray(rng, 4 * 4 * 5 * 6), [4, 4, 5, 6]);
    const bias = tf.tensor1d(randomArray(rng, 6));
    const dy = tf.tensor4d(randomArray(rng, 3 * 5 * 4 * 6), [3, 5, 4, 6]);
    const fused = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.fused.conv2d({
            x: a as tf.Tensor4D,
            filter: b as tf.Tensor4D,
            bias: c,
            strides: 2,
            pad: 'same',
            activation: 'relu',
          }),
          dy,
        ),
      );
    const unfused = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.sum(tf.mul(tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c)), dy));
    const run = (f: typeof fused) => {
      const value = f(x, w, bias);
      const grads = tf.grads(f)([x, w, bias]);
      const out = [value, ...grads].map((t) => Buffer.from((t.dataSync() as Float32Array).buffer));
      tf.dispose([value, ...grads]);
      return out;
    };
    const kernels = (await tf.profile(() => tf.dispose(tf.grads(fused)([x, w, bias])))).kernels.map(
      (k) => k.name,
    );
    assert.ok(
      kernels.includes(RELU_CONV) && !kernels.includes('Relu') && !kernels.includes('Step'),
      `kernels run: ${kernels.join(' ')}`,
    );
    // images that no variable produced get no gradient: the tape asks only for the filter's and bias'
    const onlyWeights = (b: tf.Tensor, c: tf.Tensor) => fused(x, b, c);
    const weightKernels = (await tf.profile(() => tf.dispose(tf.grads(onlyWeights)([w, bias])))).kernels;
    assert.ok(
      !weightKernels.some((k) => k.name === 'Conv2DBackpropInput'),
      `kernels run: ${weightKernels.map((k) => k.name).join(' ')}`,
    );
    const want = run(unfused);
    run(fused).forEach((got, i) => {
      assert.ok(got.equals(want[i]), `${['value', 'dx', 'dw', 'dbias'][i]} differs from the unfused path`);
    });
    tf.dispose([x, w, bias, dy]);
  });

  it('sums agree with cpu on every axis set, and a 262,144-term loss sum keeps float64 accuracy', async () => {
    const run = () => {
      const rng = new Rng(11);
      const x = tf.tensor4d(randomArray(rng, 6 * 5 * 4 * 3), [6, 5, 4, 3]);
      const big = tf.tensor1d(rng.fillUniform(new Float32Array(262_144), 0.6, 0.8));
      const axisSets = [[0], [0, 1, 2], [3], [1, 2, 3], [0, 1, 2, 3], [1], [0, 2], [2, 3]];
      const results = axisSets.map((axes) => tf.sum(x, axes).dataSync() as Float32Array);
      results.push(
        tf.sum(x, [0, 1], true).dataSync() as Float32Array,
        tf.sum(big).dataSync() as Float32Array,
      );
      const exact = (big.dataSync() as Float32Array).reduce((acc, v) => acc + v, 0);
      tf.dispose([x, big]);
      return { results, exact };
    };
    await useBackend('cpu');
    const want = run();
    await useBackend('wasm');
    for (const native of engines) {
      preferNativeKernels(native);
      const got = run();
      got.results.forEach((g, i) => {
        const err = relativeError(g, want.results[i]);
        assert.ok(err <= 1e-6, `${engineName(native)} sum variant ${i}: ${err}`);
      });
      const total = got.results[got.results.length - 1][0];
      assert.ok(Math.abs(total - got.exact) / got.exact < 1e-6, `big sum ${total} vs float64 ${got.exact}`);
    }
  });

  it('dense-layer gradients (matmul with transposed operands) agree with cpu', async () => {
    const run = () => {
      const rng = new Rng(7);
      const a = tf.tensor2d(randomArray(rng, 6 * 5), [6, 5]);
      const b = tf.tensor2d(randomArray(rng, 5 * 4), [5, 4]);
      const products = tf.tidy(() => [
        tf.matMul(a, b),
        tf.matMul(a, a, true, false),
        tf.matMul(b, b, false, true),
        tf.matMul(b, a, true, true),
        tf.matMul(tf.reshape(a, [2, 3, 5]), b),
        tf.matMul(tf.reshape(a, [2, 3, 5]), tf.reshape(a, [2, 3, 5]), false, true),
      ]);
      const results = products.map((t) => t.dataSync() as Float32Array);
      tf.dispose([a, b, ...products]);
      return results;
    };
    await useBackend('cpu');
    const want = run();
    await useBackend('wasm');
    for (const native of engines) {
      preferNativeKernels(native);
      run().forEach((g, i) => {
        assert.ok(relativeError(g, want[i]) <= 1e-5, `${engineName(native)} matmul variant ${i}`);
      });
    }
  });

  it("native: ReLU's one-pass gradient is Multiply(dy, Step(x)) bit for bit, NaN, infinities and -0 included", {
    skip: engines.length < 2,
  }, async () => {
    preferNativeKernels(true);
    const rng = new Rng(29);
    // 8-wide lanes and a scalar tail
    const n = 8 * 9 + 5;
    const specials = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-38, -1e-38];
    const xs = randomArray(rng, n);
    const dys = randomArray(rng, n);
    specials.forEach((v, i) => {
      xs[3 * i] = v;
      dys[3 * i + 1] = v;
      xs[n - 1 - i] = v;
      dys[n - 1 - i] = specials[(i + 2) % specials.length];
    });
    const x = tf.tensor1d(xs);
    const dy = tf.tensor1d(dys);
    const fast = reluGradient(dy, x);
    const profile = await tf.profile(() => tf.dispose(reluGradient(dy, x)));
    assert.deepEqual(
      profile.kernels.map((k) => k.name),
      [RELU_GRAD],
    );
    const slow = tf.mul(dy, tf.step(x));
    const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
    assert.ok(bits(fast).equals(bits(slow)), 'the one-pass gradient differs from Multiply(dy, Step(x))');
    // the Relu op's own gradient runs it
    const grad = tf.grad((a: tf.Tensor) => tf.relu(a))(x, dy);
    assert.ok(bits(grad).equals(bits(slow)), "Relu's registered gradient differs");
    tf.dispose([x, dy, fast, slow, grad]);
  });

  it('native: the Bernoulli loss as one kernel is the composite bit for bit, its gradient dy·(σ(l) − x) within 1e-6 of float64', {
    skip: engines.length < 2,
  }, async () => {
    preferNativeKernels(true);
    const rng = new Rng(31);
    const n = 8 * 40 + 3;
    const ls = randomArray(rng, n).map((v, i) => (i % 5 === 0 ? 40 * v : 4 * v));
    ls.set([0, -0, 1e-30, -1e-30, 90, -90, 17, -17, Number.NaN]);
    const xs = rng.fillUniform(new Float32Array(n), 0, 1).map((v, i) => (i % 3 === 0 ? Math.round(v) : v));
    const dys = randomArray(rng, n);
    const [logits, x, dy] = [ls, xs, dys].map((a) => tf.tensor1d(a));
    const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
    const composite = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.softplus(tf.neg(tf.abs(logits))));
    const fused = bernoulliNll(logits, x);
    const profile = await tf.profile(() => tf.dispose(bernoulliNll(logits, x)));
    assert.deepEqual(
      profile.kernels.map((k) => k.name),
      [BERNOULLI_NLL],
    );
    assert.ok(bits(fused).equals(bits(composite)), 'the fused loss differs from the composite');
    const [dl, dx] = tf.grads((a: tf.Tensor, b: tf.Tensor) => bernoulliNll(a, b))([logits, x], dy);
    const got = dl.dataSync();
    const gotX = dx.dataSync();
    for (let i = 0; i < n; i++) {
      const l = ls[i];
      if (Number.isNaN(l)) {
        assert.ok(Number.isNaN(got[i]), `NaN logit ${i}: gradient ${got[i]}`);
        continue;
      }
      const want = dys[i] * (1 / (1 + Math.exp(-l)) - xs[i]);
      assert.ok(
        Math.abs(got[i] - want) <= 1e-6 * Math.abs(dys[i]) + 1e-30,
        `logit ${l}: ${got[i]} vs ${want}`,
      );
      assert.equal(gotX[i], Math.fround(dys[i] * -l), `x gradient at ${i}`);
    }
    tf.dispose([logits, x, dy, composite, fused, dl, dx]);
  });

  it("Sum's gradient is dy broadcast (tfjs' dy·ones bit for bit) and makes no host array of x's size", async () => {
    const rng = new Rng(37);
    const values = randomArray(rng, 6 * 5 * 4);
    const dys = randomArray(rng, 6 * 4);
    dys.set([Number.NaN, Number.POSITIVE_INFINITY, -0, 0]);
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const x = tf.tensor3d(values, [6, 5, 4]);
      const dy = tf.tensor2d(dys, [6, 4]);
      const got = tf.grad((a: tf.Tensor) => tf.sum(a, 1))(x, dy);
      const want = tf.mul(tf.reshape(dy, [6, 1, 4]), tf.ones([6, 5, 4]));
      const bits = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer);
      assert.ok(bits(got).equals(bits(want)), `${backend}: the gradient differs from dy·ones`);
      const whole = tf.grad((a: tf.Tensor) => tf.sum(a))(x);
      assert.deepEqual(Array.from(whole.dataSync()), new Array(120).fill(1), `${backend}: d sum / dx`);
      tf.dispose([x, dy, got, want, whole]);
    }
    // 4 MB of x: its gradient is made on the backend, not from a host array of ones
    const big = tf.zeros([1 << 20]);
    const before = process.memoryUsage().arrayBuffers;
    const g = tf.grad((a: tf.Tensor) => tf.sum(a))(big);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 1 << 20, `host array buffers grew by ${grown} bytes`);
    tf.dispose([big, g]);
  });

  it('elementwise ops of a training step (bias adds, ReLU and its gradient, the Bernoulli loss) agree with cpu', async () => {
    const run = () => {
      const rng = new Rng(13);
      const values = randomArray(rng, 4 * 5 * 6 * 3).map((v, i) => (i % 7 === 0 ? 30 * v : v));
      values.set([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-30, -200, 90]);
      const x = tf.tensor4d(values, [4, 5, 6, 3]);
      const y = tf.tensor4d(randomArray(rng, 4 * 5 * 6 * 3), [4, 5, 6, 3]);
      const bias = tf.tensor1d(randomArray(rng, 3));
      const bias4 = tf.tensor4d(randomArray(rng, 6 * 3), [1, 1, 6, 3]);
      const column = tf.tensor4d(randomArray(rng, 4), [4, 1, 1, 1]);
      const outs = tf.tidy(() => [
        tf.add(x, y),
        tf.add(x, bias),
        tf.add(bias4, x),
        tf.sub(x, bias),
        tf.sub(bias, x),
        tf.mul(x, y),
        tf.mul(tf.scalar(1.5), x),
        tf.mul(x, column),
        tf.relu(x),
        tf.step(x, 0.3),
        tf.neg(x),
        tf.abs(x),
        tf.softplus(x),
        tf.clone(x),
        tf.cast(x, 'float32'),
        tf.cast(x, 'int32'),
      ]);
      // the Bernoulli reconstruction of gaussian-vae.ts and its gradients, on finite logits
      const logits = tf.tensor4d(
        randomArray(rng, 4 * 5 * 6 * 3).map((v) => 8 * v),
        [4, 5, 6, 3],
      );
      const target = tf.tensor4d(rng.fillUniform(new Float32Array(4 * 5 * 6 * 3), 0, 1), [4, 5, 6, 3]);
      const loss = (l: tf.Tensor, b: tf.Tensor) => {
        const h = tf.relu(tf.add(l, b));
        return tf.sum(tf.add(tf.sub(tf.relu(h), tf.mul(h, target)), tf.softplus(tf.neg(tf.abs(h)))));
      };
      const grads = tf.grads(loss)([logits, bias]);
      const total = tf.tidy(() => loss(logits, bias));
      const results = [...outs, ...grads, total].map((t) => Float32Array.from(t.dataSync()));
      tf.dispose([x, y, bias, bias4, column, logits, target, total, ...outs, ...grads]);
      return results;
    };
    await useBackend('cpu');
    const want = run();
    await useBackend('wasm');
    for (const native of engines) {
      preferNativeKernels(native);
      const before = tf.memory();
      run().forEach((got, i) => {
        got.forEach((v, j) => {
          if (Number.isNaN(want[i][j]))
            assert.ok(Number.isNaN(v), `${engineName(native)} op ${i} [${j}]: NaN expected, got ${v}`);
        });
        const finite = (a: Float32Array) => a.map((v, j) => (Number.isFinite(want[i][j]) ? v : 0));
        const inf = (a: Float32Array) => a.filter((v) => !Number.isNaN(v) && !Number.isFinite(v));
        assert.deepEqual(inf(got), inf(want[i]), `${engineName(native)} op ${i}: infinities`);
        const err = relativeError(finite(got), finite(want[i]));
        assert.ok(err <= 1e-5, `${engineName(native)} op ${i}: relative error ${err.toExponential(2)}`);
      });
      const after = tf.memory();
      assert.equal(after.numTensors, before.numTensors, 'no tensors leak');
      assert.equal(after.numBytes, before.numBytes, 'shared (zero-copy) identities free their memory');
    }
  });

  it('UnsortedSegmentSum (a gather’s gradient: the FHVAE’s μ2 rows) adds rows in batch order in float32; cpu agrees', async () => {
    await useBackend('cpu');
    const cpu = await segmentSumsOnBackend(3);
    await useBackend('wasm');
    const before = tf.memory().numTensors;
    const wasm = await segmentSumsOnBackend(3);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    SEGMENT_SUM_CASES.forEach((c, i) => {
      assert.deepEqual(wasm.sums[i], segmentSumLoop(c, 3), `case ${i}: the float32 loop, bit for bit`);
      assert.deepEqual(wasm.grads[i], gatherGradLoop(c, 3), `case ${i}: gather's gradient, bit for bit`);
      for (const key of ['sums', 'grads'] as const) {
        const err = relativeError(wasm[key][i], cpu[key][i]);
        assert.ok(err <= 1e-6, `case ${i} ${key}: relative error to cpu ${err.toExponential(2)}`);
      }
    });
  });
});
