import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { Adam } from '../src/train/adam.ts';

describe('Adam', () => {
  it("follows TensorFlow's update, recomputed in float64 by hand, and restores exactly", () => {
    const options = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const x = new Float32Array([1, -2]);
    const adam = new Adam([2], options);
    // f(x) = sum(c x^2): gradient 2cx
    const c = [1, 3];
    const grad = (w: Float32Array) => w.map((wi, i) => 2 * c[i] * wi);
    let ref = [1, -2];
    const m = [0, 0];
    const v = [0, 0];
    for (let t = 1; t <= 5; t++) {
      const g = ref.map((xi, i) => 2 * c[i] * xi);
      const lrT = (options.learningRate * Math.sqrt(1 - options.beta2 ** t)) / (1 - options.beta1 ** t);
      ref = ref.map((xi, i) => {
        m[i] = options.beta1 * m[i] + (1 - options.beta1) * g[i];
        v[i] = options.beta2 * v[i] + (1 - options.beta2) * g[i] ** 2;
        return xi - (lrT * m[i]) / (Math.sqrt(v[i]) + options.epsilon);
      });
      adam.apply([x], [grad(x)]);
    }
    for (const [i, g] of x.entries()) assert.ok(Math.abs(g - ref[i]) < 1e-5, `x[${i}] ${g} vs ${ref[i]}`);

    const y = x.slice();
    const copy = new Adam([2], options);
    copy.restore(
      adam.iterations,
      adam.state().map((a) => a.slice()),
    );
    adam.apply([x], [grad(x)]);
    copy.apply([y], [grad(y)]);
    assert.deepEqual(Array.from(y), Array.from(x), 'a restored optimizer continues bit-exactly');
    assert.throws(() => copy.restore(1, [new Float32Array(3)]), /holds 1 arrays/);
  });
});

describe('Rng', () => {
  it('is reproducible from a seed and from a saved state', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const first = Array.from({ length: 5 }, () => a.nextUint32());
    assert.deepEqual(
      Array.from({ length: 5 }, () => b.nextUint32()),
      first,
    );
    const saved = a.state();
    const next = Array.from({ length: 5 }, () => a.uniform());
    const restored = Rng.fromState(saved);
    assert.deepEqual(
      Array.from({ length: 5 }, () => restored.uniform()),
      next,
    );
    assert.notDeepEqual(
      Array.from({ length: 5 }, () => new Rng(43).nextUint32()),
      first,
    );
  });

  it('draws uniforms and normals with the right moments', () => {
    const rng = new Rng(7);
    const n = 200_000;
    const u = rng.fillUniform(new Float32Array(n));
    const z = rng.fillNormal(new Float32Array(n));
    const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
    const variance = (a: Float32Array) => {
      const m = mean(a);
      return a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length;
    };
    assert.ok(Math.abs(mean(u) - 0.5) < 0.005 && Math.abs(variance(u) - 1 / 12) < 0.002, 'U(0,1) moments');
    assert.ok(Math.abs(mean(z)) < 0.01 && Math.abs(variance(z) - 1) < 0.01, 'N(0,1) moments');
    assert.ok(u.every((x) => x >= 0 && x < 1));
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(6)]++;
    assert.ok(
      counts.every((c) => Math.abs(c - 10_000) < 400),
      `int(6) is uniform: ${counts}`,
    );
  });

  it('rejects seeds that are not 32-bit unsigned integers', () => {
    assert.throws(() => new Rng(-1), /seed must be an integer/);
    assert.throws(() => new Rng(1.5), /seed must be an integer/);
  });
});
