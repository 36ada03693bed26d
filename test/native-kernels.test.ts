import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { yardstickConfig } from '../src/cli/bench.ts';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { useBackend } from '../src/engine/backend.ts';
import {
  loadAddon,
  type NativeAddon,
  nativeAddon,
  PREBUILT_ADDON,
} from '../src/engine/kernels/native/addon.ts';
import { BUILT_WITH, buildNative, compilerVersion } from '../src/engine/kernels/native/build.ts';
import { cpuEngine, preferNativeKernels } from '../src/engine/kernels/wasm/register.ts';
import { Rng } from '../src/engine/rng.ts';
import { shardGradients } from '../src/train/gradients.ts';
import { buildSession } from '../src/train/session.ts';
import { relativeError } from './helpers/conv-cases.ts';

const addon = nativeAddon();
const hasGcc = (() => {
  try {
    compilerVersion();
    return true;
  } catch {
    return false;
  }
})();
const skipNative =
  addon === undefined ? 'the native addon does not load here (not linux-x64 with AVX2/FMA)' : false;

/** Every entry point of an addon on fixed random inputs. */
function kernelOutputs(a: NativeAddon): Float32Array[] {
  const rng = new Rng(3);
  const g = Int32Array.from([2, 9, 7, 5, 5, 4, 6, 4, 4, 2, 2, 1, 1]);
  const x = rng.fillNormal(new Float32Array(2 * 9 * 7 * 5));
  const w = rng.fillNormal(new Float32Array(4 * 4 * 5 * 6));
  const bias = rng.fillNormal(new Float32Array(6));
  const dy = rng.fillNormal(new Float32Array(2 * 5 * 4 * 6));
  const y = new Float32Array(dy.length);
  const dw = new Float32Array(w.length);
  const dx = new Float32Array(x.length);
  const c = new Float32Array(2 * 9 * 6);
  const s = new Float32Array(5);
  a.conv2d(x, w, bias, 1, y, g, 1);
  a.conv2dFilterGrad(x, dy, dw, g);
  a.conv2dInputGrad(dy, w, dx, g);
  a.matmul(x.subarray(0, 2 * 9 * 7), w.subarray(0, 7 * 6), c, 2, 9, 6, 7, 0, 0, 0, 1);
  a.sumLeading(x.subarray(0, 35), s, 7, 5);
  const sum = new Float32Array(dy.length);
  a.binary(0, dy, bias, sum);
  const soft = new Float32Array(x.length);
  a.unary(4, x, soft, 0);
  const mean = new Float32Array(dy.length);
  a.weightedSum([dy, y], Float64Array.of(0.25, 0.75), mean);
  const [theta, m, v] = [x, dx, dx].map((t) => t.subarray(0, dy.length).map(Math.abs));
  a.adam(theta, dy, m, v, Float64Array.of(1e-3, 0.9, 0.999, 1e-8, 0.1, 0.001));
  return [y, dw, dx, c, s, sum, soft, mean, theta, m, v, ...treeOutputs(a, rng), ...logisticOutputs(a, rng)];
}

/** The logistic objective on 37 rows x 5 features, 3 classes: the loss and the gradient. */
function logisticOutputs(a: NativeAddon, rng: Rng): Float32Array[] {
  const [n, features, k] = [37, 5, 3];
  const x = Float64Array.from(rng.fillNormal(new Float32Array(n * features)));
  const labels = Int32Array.from({ length: n }, (_, i) => i % k);
  const w = Float64Array.from(rng.fillNormal(new Float32Array(k * (features + 1))));
  const grad = new Float64Array(w.length);
  const loss = a.logisticObjective(x, labels, new Float64Array(n).fill(1), n, features, k, 1, 1, w, grad);
  return [Float32Array.of(loss), Float32Array.from(grad)];
}

/** The tree grower's entry points on one node of 40 rows x 3 presorted features: a scan, a partition, a walk. */
function treeOutputs(a: NativeAddon, rng: Rng): Float32Array[] {
  const [n, features] = [40, 3];
  const x = rng.fillNormal(new Float32Array(n * features));
  const rows = new Int32Array(n * features);
  const values = new Float32Array(n * features);
  for (let f = 0; f < features; f++) {
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (i, j) => x[i * features + f] - x[j * features + f],
    );
    order.forEach((i, s) => {
      rows[f * n + s] = i;
      values[f * n + s] = x[i * features + f];
    });
  }
  const r = Float64Array.from(x.subarray(0, n), (v) => v + 0.5);
  const [improvement, threshold, left] = [
    new Float64Array(features),
    new Float64Array(features),
    new Int32Array(features),
  ];
  a.treeScan(
    values,
    rows,
    r,
    n,
    features,
    0,
    n,
    r.reduce((s, v) => s + v, 0),
    improvement,
    left,
    threshold,
  );
  const [toRows, toValues] = [new Int32Array(n * features), new Float32Array(n * features)];
  a.treePartition(
    1,
    rows,
    values,
    toRows,
    toValues,
    new Uint8Array(n),
    new Int32Array(n),
    new Float32Array(n),
    n,
    features,
    0,
    n,
    15,
  );
  const scores = new Float64Array(n);
  a.treePredict(
    Int32Array.of(1, -1, -1),
    Float64Array.of(values[n + 14], 0, 0),
    Int32Array.of(1, -1, -1),
    Int32Array.of(2, -1, -1),
    Float64Array.of(0, -1, 2),
    x,
    n,
    features,
    0.1,
    scores,
    1,
    0,
  );
  return [improvement, threshold, left, toRows, toValues, scores].map((t) => Float32Array.from(t));
}

describe('the native addon', () => {
  it('is shipped for linux-x64 beside its source, with the compiler that built it', () => {
    assert.ok(existsSync(PREBUILT_ADDON), `${PREBUILT_ADDON} is missing: run npm run build:native`);
    assert.match(readFileSync(BUILT_WITH, 'utf8'), /\S/);
  });

  it('rebuilds from source to the shipped binary (bytes with the same gcc, results otherwise)', {
    skip: !hasGcc ? 'gcc is not installed' : skipNative,
  }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'untangle-native-test-'));
    try {
      const rebuilt = buildNative(join(dir, 'rebuilt.node'));
      const sameCompiler = readFileSync(BUILT_WITH, 'utf8').trim() === compilerVersion();
      if (sameCompiler) {
        assert.ok(
          readFileSync(rebuilt).equals(readFileSync(PREBUILT_ADDON)),
          'same gcc, different bytes: rerun npm run build:native',
        );
      }
      const fresh = loadAddon(rebuilt);
      assert.ok(fresh, 'the rebuilt addon loads');
      const want = kernelOutputs(addon!);
      kernelOutputs(fresh).forEach((got, i) => {
        assert.ok(relativeError(got, want[i]) <= 1e-6, `entry point ${i} differs from the shipped build`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('matches float64 loops on a strided, padded conv and a transposed matmul', { skip: skipNative }, () => {
    const [y, dw, dx, c, s] = kernelOutputs(addon!);
    const rng = new Rng(3);
    const x = rng.fillNormal(new Float32Array(2 * 9 * 7 * 5));
    const w = rng.fillNormal(new Float32Array(4 * 4 * 5 * 6));
    const bias = rng.fillNormal(new Float32Array(6));
    const dy = rng.fillNormal(new Float32Array(2 * 5 * 4 * 6));
    const ey = new Float64Array(y.length);
    const edw = new Float64Array(dw.length);
    const edx = new Float64Array(dx.length);
    for (let n = 0; n < 2; n++)
      for (let oy = 0; oy < 5; oy++)
        for (let ox = 0; ox < 4; ox++)
          for (let ky = 0; ky < 4; ky++)
            for (let kx = 0; kx < 4; kx++) {
              const iy = oy * 2 + ky - 1;
              const ix = ox * 2 + kx - 1;
              if (iy < 0 || iy >= 9 || ix < 0 || ix >= 7) continue;
              for (let ci = 0; ci < 5; ci++)
                for (let co = 0; co < 6; co++) {
                  const xi = ((n * 9 + iy) * 7 + ix) * 5 + ci;
                  const wi = ((ky * 4 + kx) * 5 + ci) * 6 + co;
                  const yi = ((n * 5 + oy) * 4 + ox) * 6 + co;
                  ey[yi] += x[xi] * w[wi];
                  edw[wi] += x[xi] * dy[yi];
                  edx[xi] += w[wi] * dy[yi];
                }
            }
    for (let i = 0; i < ey.length; i++) ey[i] = Math.max(ey[i] + bias[i % 6], 0);
    const ec = new Float64Array(c.length);
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 9; i++)
        for (let j = 0; j < 6; j++)
          for (let p = 0; p < 7; p++) ec[(b * 9 + i) * 6 + j] += x[(b * 9 + i) * 7 + p] * w[p * 6 + j];
    const es = new Float64Array(5);
    for (let i = 0; i < 35; i++) es[i % 5] += x[i];
    for (const [got, want, name] of [
      [y, ey, 'conv + bias + relu'],
      [dw, edw, 'filter gradient'],
      [dx, edx, 'input gradient'],
      [c, ec, 'batched matmul'],
      [s, es, 'leading sum'],
    ] as const) {
      assert.ok(relativeError(got, want) <= 1e-5, `${name}: ${relativeError(got, want)}`);
    }
  });

  it('writes every input-gradient value over many chunks: halos across chunks, pixels no patch reaches', {
    skip: skipNative,
  }, () => {
    // [n, h, w, ci, kh(=kw), stride, pad]: 3 chunks of 126 positions with 4x4/2 halos; 4 chunks of 252
    // positions of 2x2/3 patches, which never reach every third row and column
    for (const [n, h, ci, k, stride, pad] of [
      [4, 16, 32, 4, 2, 1],
      [2, 62, 64, 2, 3, 0],
    ]) {
      const o = Math.floor((h + 2 * pad - k) / stride) + 1;
      const co = 3;
      const rng = new Rng(5);
      const w = rng.fillNormal(new Float32Array(k * k * ci * co));
      const dy = rng.fillNormal(new Float32Array(n * o * o * co));
      const dx = new Float32Array(n * h * h * ci).fill(Number.NaN);
      addon!.conv2dInputGrad(
        dy,
        w,
        dx,
        Int32Array.from([n, h, h, ci, o, o, co, k, k, stride, stride, pad, pad]),
      );
      const want = new Float64Array(dx.length);
      for (let b = 0; b < n; b++)
        for (let oy = 0; oy < o; oy++)
          for (let ox = 0; ox < o; ox++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const [iy, ix] = [oy * stride + ky - pad, ox * stride + kx - pad];
                if (iy < 0 || iy >= h || ix < 0 || ix >= h) continue;
                for (let c = 0; c < ci; c++)
                  for (let j = 0; j < co; j++)
                    want[((b * h + iy) * h + ix) * ci + c] +=
                      w[((ky * k + kx) * ci + c) * co + j] * dy[((b * o + oy) * o + ox) * co + j];
              }
      assert.ok(relativeError(dx, want) <= 1e-5, `${k}x${k}/${stride}: ${relativeError(dx, want)}`);
      if (stride > k)
        assert.ok(
          dx.some((v, i) => v === 0 && want[i] === 0),
          'pixels no patch reaches are 0',
        );
    }
  });

  it('averages gradients and takes Adam steps bit for bit as the float64 loops of gradients.ts and adam.ts', {
    skip: skipNative,
  }, () => {
    const rng = new Rng(21);
    const n = 1003;
    const parts = [0, 1, 2].map(() => rng.fillNormal(new Float32Array(n)));
    const weights = Float64Array.of(10 / 27, 9 / 27, 8 / 27);
    const got = new Float32Array(n).fill(7);
    addon!.weightedSum(parts, weights, got);
    const want = new Float32Array(n);
    parts.forEach((p, j) => {
      for (let i = 0; i < n; i++) want[i] += weights[j] * p[i];
    });
    assert.ok(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), 'weighted sum differs');
    // three Adam steps on TensorFlow's form, with an independent float64 loop beside it
    const theta = rng.fillNormal(new Float32Array(n));
    const [m, v] = [new Float32Array(n), new Float32Array(n)];
    const [theta2, m2, v2] = [Float32Array.from(theta), new Float32Array(n), new Float32Array(n)];
    const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];
    for (let t = 1; t <= 3; t++) {
      const g = parts[t - 1];
      const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
      addon!.adam(theta, g, m, v, Float64Array.of(lrT, b1, b2, eps, 1 - b1, 1 - b2));
      for (let i = 0; i < n; i++) {
        const mi = b1 * m2[i] + (1 - b1) * g[i];
        const vi = b2 * v2[i] + (1 - b2) * g[i] * g[i];
        m2[i] = mi;
        v2[i] = vi;
        theta2[i] -= (lrT * mi) / (Math.sqrt(vi) + eps);
      }
    }
    for (const [a, b, name] of [
      [theta, theta2, 'weights'],
      [m, m2, 'first moments'],
      [v, v2, 'second moments'],
    ] as const) {
      assert.ok(Buffer.from(a.buffer).equals(Buffer.from(b.buffer)), `Adam ${name} differ`);
    }
    assert.throws(() => addon!.weightedSum([parts[0]], weights, got), /one per part/);
    assert.throws(
      () => addon!.adam(theta, parts[0].subarray(1), m, v, Float64Array.of(1, 1, 1, 1, 1, 1)),
      /do not match/,
    );
  });

  it('refuses arrays that do not fit the geometry instead of writing past them', { skip: skipNative }, () => {
    const g = Int32Array.from([1, 4, 4, 1, 2, 2, 1, 2, 2, 2, 2, 0, 0]);
    assert.throws(
      () => addon!.conv2d(new Float32Array(16), new Float32Array(4), null, 0, new Float32Array(3), g, 1),
      /array sizes do not match/,
    );
    assert.throws(() => addon!.sumLeading(new Float32Array(6), new Float32Array(2), 2, 3), /do not match/);
  });

  it('spreads a forward conv over threads with bit-identical results', { skip: skipNative }, () => {
    const rng = new Rng(4);
    const g = Int32Array.from([64, 16, 16, 8, 8, 8, 16, 4, 4, 2, 2, 1, 1]);
    const x = rng.fillNormal(new Float32Array(64 * 16 * 16 * 8));
    const w = rng.fillNormal(new Float32Array(4 * 4 * 8 * 16));
    const outputs = [1, 3].map((threads) => {
      const y = new Float32Array(64 * 8 * 8 * 16);
      addon!.conv2d(x, w, null, 1, y, g, threads);
      return y;
    });
    assert.ok(Buffer.from(outputs[0].buffer).equals(Buffer.from(outputs[1].buffer)));
    assert.ok(outputs[0].some((v) => v > 0));
  });

  it('loads and runs in a worker thread (context-aware)', { skip: skipNative }, async () => {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const m = require(workerData);
      const c = new Float32Array(1);
      m.matmul(Float32Array.of(2, 3), Float32Array.of(4, 5), c, 1, 1, 1, 2, 0, 0, 0, 0);
      parentPort.postMessage(c[0]);`;
    const worker = new Worker(source, { eval: true, workerData: PREBUILT_ADDON });
    const value = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(value, 23);
  });

  it('trains the yardstick model like the wasm kernels: loss and every gradient to 1e-4 relative', {
    skip: skipNative,
  }, async () => {
    const config = yardstickConfig({ batchSize: 6, steps: 1 });
    await useBackend('wasm');
    const session = buildSession(config);
    const [h, w, ch] = session.data.observationShape;
    const { x, factors } = sampleBatch(session.data, 6, new Rng(9));
    const slice = {
      x,
      factors,
      shape: [6, h, w, ch] as [number, number, number, number],
      size: 6,
      firstExample: 0,
    };
    const step = () => shardGradients(session.task, 0, 0, 17, slice);
    preferNativeKernels(true);
    assert.equal(cpuEngine(), 'native-avx2');
    const native = step();
    preferNativeKernels(false);
    assert.equal(cpuEngine(), 'wasm');
    const wasm = step();
    preferNativeKernels(true);
    assert.ok(
      Math.abs(native.total - wasm.total) / Math.abs(wasm.total) <= 1e-4,
      `loss ${native.total} vs ${wasm.total}`,
    );
    native.grads.forEach((g, i) => {
      const err = relativeError(g, wasm.grads[i]);
      assert.ok(err <= 1e-4, `gradient ${i}: relative error ${err.toExponential(2)}`);
    });
  });
});
