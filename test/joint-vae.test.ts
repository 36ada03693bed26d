import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { discreteAccuracy } from '../src/metrics/evaluate-run.ts';
import { categoricalKl, gumbelSoftmax, jointCapacity } from '../src/models/joint-vae.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { buildSession } from '../src/train/session.ts';
import { train } from '../src/train/trainer.ts';
import { tempDir } from './helpers/cli.ts';

describe('JointVAE terms', () => {
  before(() => useBackend('wasm'));
  const alpha = [
    [0.7, 0.2, 0.1],
    [0.05, 0.05, 0.9],
    [1 / 3, 1 / 3, 1 / 3],
  ];
  const rng = new Rng(8);
  const u = alpha.map((row) => row.map(() => 0.01 + 0.98 * rng.uniform()));

  it('Gumbel-softmax: τ → 0 gives the one-hot argmax of log α + Gumbel noise, τ → ∞ the uniform', () => {
    const cold = gumbelSoftmax(tf.tensor2d(alpha), tf.tensor2d(u), 0.01).arraySync();
    const hot = gumbelSoftmax(tf.tensor2d(alpha), tf.tensor2d(u), 1e4).arraySync();
    alpha.forEach((row, i) => {
      const perturbed = row.map((a, k) => Math.log(a) - Math.log(-Math.log(u[i][k])));
      const winner = perturbed.indexOf(Math.max(...perturbed));
      for (const [k, v] of cold[i].entries()) {
        assert.ok(Math.abs(v - (k === winner ? 1 : 0)) < 1e-4, `row ${i}: ${cold[i]}`);
      }
      for (const v of hot[i]) assert.ok(Math.abs(v - 1 / 3) < 1e-3);
      assert.ok(Math.abs(cold[i].reduce((a, b) => a + b, 0) - 1) < 1e-5);
    });
  });

  it('categorical KL against the uniform prior by a float64 loop', () => {
    const expected =
      alpha.reduce((s, row) => s + row.reduce((t, a) => t + a * Math.log(a * row.length), 0), 0) /
      alpha.length;
    const kl = categoricalKl(tf.tensor2d(alpha)).dataSync()[0];
    assert.ok(Math.abs(kl - expected) < 1e-5, `${kl} vs ${expected}`);
    assert.ok(Math.abs(categoricalKl(tf.tensor2d([[1 / 3, 1 / 3, 1 / 3]])).dataSync()[0]) < 1e-6);
  });

  it('capacities rise linearly to their maxima and stay', () => {
    assert.equal(jointCapacity(0, 40, 300_000), 0);
    assert.equal(jointCapacity(150_000, 40, 300_000), 20);
    assert.equal(jointCapacity(400_000, 40, 300_000), 40);
  });

  it('trains: every term logged and finite, the loss recomputes from its terms, reconstruction falls', async () => {
    const config = resolveTrainConfig({
      model: 'joint-vae',
      architecture: 'mlp',
      hidden: [64],
      batchSize: 16,
      steps: 40,
      learningRate: 1e-3,
      logEvery: 10,
      seed: 2,
      modelOptions: { capacitySteps: 100, discreteSizes: [3, 2] },
    });
    const session = buildSession(config);
    assert.deepEqual(session.model.discrete?.sizes, [3, 2]);
    const dir = tempDir('joint-vae');
    await train(session, dir);
    const log = readLog(dir);
    for (const e of log) {
      const t = e as Record<string, number>;
      const expected =
        t.reconstruction +
        150 * Math.abs(t.klContinuous - t.continuousCapacity) +
        150 * Math.abs(t.klDiscrete - t.discreteCapacity);
      assert.ok(
        Math.abs(t.total - expected) < 1e-3 * Math.max(1, expected),
        `step ${t.step}: ${t.total} vs ${expected}`,
      );
      // the loss at logged step s was computed at step index s − 1
      assert.ok(Math.abs(t.continuousCapacity - (40 * (t.step - 1)) / 100) < 1e-4);
      assert.ok(t.discreteCapacity <= Math.log(3) + Math.log(2) + 1e-6);
    }
    assert.ok((log.at(-1)!.reconstruction as number) < (log[0].reconstruction as number) - 50);
    // evaluate's number: each latent's argmax matched to dSprites' shape (3 values) — at least the best
    // single-class share, which is near chance for a short run
    const accuracy = discreteAccuracy(session.model, session.data, new Rng(1), 300);
    assert.deepEqual(
      accuracy.map((a) => [a.latent, a.factor, a.chance, a.points]),
      [
        [0, 'shape', 1 / 3, 300],
        [1, 'shape', 1 / 3, 300],
      ],
    );
    for (const a of accuracy) assert.ok(a.accuracy >= 0.25 && a.accuracy <= 1, `accuracy ${a.accuracy}`);
    // the discrete code: per example a distribution over each latent's categories
    const probs = session.model.discrete!.encode(tf.zeros([2, 64, 64, 1])).arraySync();
    for (const row of probs) {
      assert.ok(Math.abs(row.slice(0, 3).reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.ok(Math.abs(row.slice(3).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
  });
});
