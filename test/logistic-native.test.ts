import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { accuracy, fitLogistic, type LogisticOptions } from '../src/metrics/logistic-regression.ts';
import { logisticKernels } from '../src/metrics/native-metrics.ts';

const kernels = logisticKernels();
const skip = kernels ? false : 'the native addon does not load here';

/** n rows of `features` standard normals (times `scale`), labels from a noisy linear rule over k classes. */
function problem(rng: Rng, n: number, features: number, k: number, scale = 1) {
  const x = Float64Array.from({ length: n * features }, () => scale * rng.normal());
  const direction = Float64Array.from({ length: k * features }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => {
    let best = 0;
    let top = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      let s = rng.normal();
      for (let f = 0; f < features; f++) s += direction[j * features + f] * x[i * features + f];
      if (s > top) [top, best] = [s, j];
    }
    return 3 * best - 1; // labels need not be 0 … k−1
  });
  return { x, labels };
}

const largestRelative = (a: Float64Array[], b: Float64Array[]) => {
  let worst = 0;
  let size = 0;
  for (const row of b) for (const v of row) size = Math.max(size, Math.abs(v));
  a.forEach((row, j) => {
    row.forEach((v, f) => {
      worst = Math.max(worst, Math.abs(v - b[j][f]) / size);
    });
  });
  return worst;
};

describe('the native logistic objective', () => {
  const shapes: Array<[number, number, number, number, Partial<LogisticOptions>]> = [
    // rows, features, classes, feature scale, options: block tails (n not a multiple of 4 or 256), fewer
    // than 4 features, 4k + r features, two classes, many, balanced weights, no penalty, huge scores
    [257, 1, 2, 1, {}],
    [1001, 3, 5, 1, { classWeight: 'balanced' }],
    [600, 6, 40, 1, {}],
    [513, 9, 7, 1, { penalty: false }],
    [300, 4, 3, 40, {}],
  ];
  it('takes the JS objective’s first three steps to 1e-12: the same loss and gradient but rounding', {
    skip,
  }, () => {
    const rng = new Rng(11);
    for (const [n, features, k, scale, options] of shapes) {
      const { x, labels } = problem(rng, n, features, k, scale);
      const native = fitLogistic(x, labels, features, { ...options, maxIterations: 3 }, kernels);
      const js = fitLogistic(x, labels, features, { ...options, maxIterations: 3 }, null);
      assert.equal(native.evaluations, js.evaluations, `${n}x${features}, ${k} classes`);
      const gap = largestRelative(native.weights, js.weights);
      assert.ok(gap < 1e-12, `${n}x${features}, ${k} classes: ${gap}`);
    }
  });

  it('fits what the JS objective fits: weights to 1e-6, the same accuracy and iteration count', {
    skip,
  }, () => {
    const rng = new Rng(12);
    for (const [n, features, k, scale, options] of shapes) {
      const { x, labels } = problem(rng, n, features, k, scale);
      const native = fitLogistic(x, labels, features, options, kernels);
      const js = fitLogistic(x, labels, features, options, null);
      const gap = largestRelative(native.weights, js.weights);
      assert.ok(gap < 1e-6, `${n}x${features}, ${k} classes: weights differ by ${gap}`);
      assert.ok(Math.abs(native.iterations - js.iterations) <= 1, `${native.iterations} vs ${js.iterations}`);
      assert.equal(accuracy(native, x, labels), accuracy(js, x, labels));
    }
  });

  it('refuses a label outside the classes and arrays too short', { skip }, () => {
    const k = kernels!;
    const x = new Float64Array(8);
    const w = new Float64Array(6);
    const grad = new Float64Array(6);
    const ones = new Float64Array(4).fill(1);
    const args =
      (y: Int32Array, g = grad) =>
      () =>
        k.logisticObjective(x, y, ones, 4, 2, 2, 1, 1, w, g);
    assert.equal(args(Int32Array.of(0, 1, 1, 0))(), 4 * Math.log(2)); // w = 0: every row costs log 2
    assert.throws(args(Int32Array.of(0, 2, 1, 0)), /label is outside/);
    assert.throws(args(Int32Array.of(0, 1, 1, 0), new Float64Array(5)), /arrays too short/);
  });
});
