import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { annealedVaeOptions, capacityAt, createAnnealedVae } from '../src/models/annealed-vae.ts';
import { createBetaVae } from '../src/models/beta-vae.ts';
import { bernoulliReconstruction, gaussianKlPerDim, reparameterize } from '../src/models/gaussian-vae.ts';
import type { StepContext } from '../src/models/model.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { tinyBuild } from './helpers/models.ts';

const close = (actual: number, expected: number, tol = 1e-4, what = '') =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what} ${actual} != ${expected}`,
  );

/** Noise fixed by the test, so terms can be recomputed by hand. */
const fixedNoise = (values: number[]): StepContext => ({
  step: 0,
  permutation: (n: number) => Int32Array.from({ length: n }, (_, i) => i),
  uniform: () => {
    throw new Error('no uniform noise in these tests');
  },
  normal: (shape: number[]) =>
    tf.tensor(
      values.slice(
        0,
        shape.reduce((a, b) => a * b, 1),
      ),
      shape,
    ),
});

describe('VAE loss terms', () => {
  before(() => useBackend('wasm'));

  it('Gaussian KL per dim equals the closed form 0.5(μ² + σ² − log σ² − 1), batch-averaged', () => {
    const mean = [
      [0.5, -1.2, 0],
      [2, 0.3, -0.7],
    ];
    const logVar = [
      [0.1, -2, 0],
      [1.5, 0.4, -0.3],
    ];
    const got = tf.tidy(() => gaussianKlPerDim(tf.tensor2d(mean), tf.tensor2d(logVar)).arraySync());
    for (let d = 0; d < 3; d++) {
      let want = 0;
      for (let n = 0; n < 2; n++) want += 0.5 * (mean[n][d] ** 2 + Math.exp(logVar[n][d]) - logVar[n][d] - 1);
      close(got[d], want / 2, 1e-5, `dim ${d}`);
    }
    const zero = tf.tidy(() => gaussianKlPerDim(tf.zeros([4, 3]), tf.zeros([4, 3])).arraySync());
    assert.deepEqual(zero, [0, 0, 0], 'KL of the prior against itself is 0');
  });

  it('Bernoulli reconstruction equals −Σ x log σ(l) + (1−x) log(1−σ(l)), stable at extreme logits', () => {
    const logits = [3, -2, 0.5, 0, 60, -60, 60, -60];
    const x = [1, 0, 0, 1, 1, 0, 0, 1];
    const got = tf.tidy(
      () =>
        bernoulliReconstruction(
          tf.tensor4d(logits, [2, 2, 2, 1]),
          tf.tensor4d(x, [2, 2, 2, 1]),
        ).dataSync()[0],
    );
    // log σ(l) = −log(1+e^{−l}); computed in float64 with log1p for the extreme values
    const logSigmoid = (l: number) => (l > 0 ? -Math.log1p(Math.exp(-l)) : l - Math.log1p(Math.exp(l)));
    let want = 0;
    for (let i = 0; i < logits.length; i++)
      want -= x[i] * logSigmoid(logits[i]) + (1 - x[i]) * logSigmoid(-logits[i]);
    close(got, want / 2, 1e-5, 'reconstruction');
    assert.ok(got > 59, 'a confidently wrong pixel costs about |logit| nats');
  });

  it('reparameterisation gives μ + exp(logVar/2)·ε', () => {
    const got = tf.tidy(() =>
      reparameterize(
        tf.tensor2d([[1, -1]]),
        tf.tensor2d([[Math.log(4), 0]]),
        fixedNoise([0.5, 2]),
      ).arraySync(),
    );
    close(got[0][0], 1 + 2 * 0.5);
    close(got[0][1], -1 + 1 * 2);
  });

  it('β-VAE total = reconstruction + β·KL, and KL matches the encoder output in closed form', () => {
    const model = createBetaVae(tinyBuild(3), { beta: 6 });
    const x = tf.tensor4d(
      Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      [2, 4, 4, 1],
    );
    const [total, rec, kl, klDims, stats] = tf.tidy(() => {
      const out = model.objectives[0].loss(x, fixedNoise([0.1, -0.2, 0.3, 0.4]));
      const { mean, logVar } = model.encode(x);
      return [
        out.total,
        out.terms.reconstruction,
        out.terms.kl,
        out.klPerDim!,
        tf.concat([mean, logVar], 1),
      ].map((t) => t.arraySync());
    }) as [number, number, number, number[], number[][]];
    close(total, rec + 6 * kl, 1e-5, 'total');
    let want = 0;
    for (const row of stats)
      for (let d = 0; d < 2; d++) want += 0.5 * (row[d] ** 2 + Math.exp(row[d + 2]) - row[d + 2] - 1);
    close(kl, want / 2, 1e-5, 'kl');
    close(klDims[0] + klDims[1], kl, 1e-5, 'kl per dim sums to kl');
    x.dispose();
  });

  it('AnnealedVAE: capacity rises linearly to C_max, total = reconstruction + γ|KL − C|', () => {
    const options = annealedVaeOptions.parse({ gamma: 1000, capacityMax: 25, capacitySteps: 100_000 });
    assert.equal(capacityAt(0, options), 0);
    close(capacityAt(40_000, options), 10);
    assert.equal(capacityAt(100_000, options), 25);
    assert.equal(capacityAt(250_000, options), 25);
    const model = createAnnealedVae(tinyBuild(4), { ...options, capacityMax: 0.05, capacitySteps: 10 });
    const x = tf.ones([2, 4, 4, 1]) as tf.Tensor4D;
    const ctx = { ...fixedNoise([0, 0, 0, 0]), step: 5 };
    const [total, rec, kl, capacity] = tf.tidy(() => {
      const out = model.objectives[0].loss(x, ctx);
      return [out.total, out.terms.reconstruction, out.terms.kl, out.terms.capacity].map(
        (t) => t.dataSync()[0],
      );
    });
    close(capacity, 0.025, 1e-6, 'capacity at step 5 of 10');
    close(total, rec + 1000 * Math.abs(kl - 0.025), 1e-5, 'total');
    x.dispose();
  });

  it('step noise: an example gets the same noise however the batch is split', () => {
    const whole = tf.tidy(() => stepContext(3, 12345, 0).normal([4, 3]).arraySync()) as number[][];
    const tail = tf.tidy(() => stepContext(3, 12345, 2).normal([2, 3]).arraySync()) as number[][];
    assert.deepEqual(tail, whole.slice(2));
    const other = tf.tidy(() => stepContext(3, 54321, 0).normal([4, 3]).arraySync()) as number[][];
    assert.notDeepEqual(other, whole);
  });
});
