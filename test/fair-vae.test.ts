import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type { SplitImageData } from '../src/data/held-out.ts';
import { loadMnist } from '../src/data/mnist.ts';
import { BACKGROUND, createSensitiveMnist, sensitiveAttribute } from '../src/data/mnist-sensitive.ts';
import { createDataset } from '../src/data/registry.ts';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { InputError } from '../src/io/input-error.ts';
import { heldOutReport } from '../src/metrics/code-predictability.ts';
import { groupMmd } from '../src/models/fair-vae.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { buildSession } from '../src/train/session.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { trainStep } from '../src/train/trainer.ts';
import { createUpdate } from '../src/train/update/select.ts';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** MMD² (V-statistic) of two groups with k(a, b) = exp(−‖a − b‖² / h), by plain loops. */
function referenceMmd(codes: number[][], s: number[], h: number): number {
  const k = (a: number[], b: number[]) => Math.exp(-a.reduce((t, v, d) => t + (v - b[d]) ** 2, 0) / h);
  const groupA = codes.filter((_, i) => s[i] === 0);
  const groupB = codes.filter((_, i) => s[i] === 1);
  const mean = (xs: number[][], ys: number[][]) => {
    let t = 0;
    for (const x of xs) for (const y of ys) t += k(x, y);
    return t / (xs.length * ys.length);
  };
  return mean(groupA, groupA) + mean(groupB, groupB) - 2 * mean(groupA, groupB);
}

describe('fair VAE (VFAE with an MMD penalty)', () => {
  before(() => useBackend('wasm'));

  it('the group MMD matches a float64 loop with the kernel written out, and is 0 for one group', () => {
    const rng = new Rng(8);
    const codes = Array.from({ length: 7 }, (_, i) =>
      Array.from({ length: 3 }, () => rng.normal() + (i % 2)),
    );
    const s = [0, 1, 0, 1, 1, 0, 0];
    const got = tf.tidy(() => groupMmd(tf.tensor2d(codes), s, 2.5).dataSync()[0]);
    close(got, referenceMmd(codes, s, 2.5), 1e-5, 'MMD²');
    // a hand-computed value: two 1-D points, k(0, 1) = e^{−1}: MMD² = 1 + 1 − 2e^{−1}
    close(
      tf.tidy(() => groupMmd(tf.tensor2d([[0], [1]]), [0, 1], 1).dataSync()[0]),
      2 - 2 / Math.E,
      1e-6,
      'two points',
    );
    assert.equal(
      tf.tidy(() => groupMmd(tf.tensor2d(codes), [0, 0, 0, 0, 0, 0, 0], 1).dataSync()[0]),
      0,
    );
  });

  it('mnist-sensitive: s agrees with [digit < 5] at exactly the requested rate, and brightens the background', () => {
    const mnist = loadMnist();
    for (const rate of [0.9, 0.7, 0.5]) {
      const s = sensitiveAttribute(mnist.labels, 10, rate);
      for (let c = 0; c < 10; c++) {
        const members = mnist.labels.reduce((n, l) => n + (l === c ? 1 : 0), 0);
        const ones = s.reduce((n, v, i) => n + (mnist.labels[i] === c ? v : 0), 0);
        const p = c < 5 ? rate : 1 - rate;
        assert.equal(ones, Math.round(p * members), `digit ${c}, rate ${rate}`);
      }
      const agree = s.reduce((n, v, i) => n + (v === (mnist.labels[i] < 5 ? 1 : 0) ? 1 : 0), 0);
      close(agree / s.length, rate, 0.002, `agreement of s with digit < 5 at rate ${rate}`);
    }
    const data = createSensitiveMnist(0.9);
    assert.deepEqual(data.factorNames, ['label', 's']);
    const { x, factors } = data.heldOut;
    for (let i = 0; i < 50; i++) {
      const darkest = Math.min(...x.subarray(i * 784, (i + 1) * 784));
      if (factors[2 * i + 1] === 1)
        assert.ok(darkest >= BACKGROUND - 0.01, `s = 1 image ${i}: darkest ${darkest}`);
      else assert.equal(darkest, 0, `s = 0 image ${i}`);
    }
  });

  it('the loss is reconstruction + KL + β·MMD, and the decoder reads s', () => {
    const config = resolveTrainConfig({
      model: 'fair-vae',
      dataset: 'mnist-sensitive',
      architecture: 'mlp',
      hidden: [16],
      latentDim: 3,
      modelOptions: { beta: 10 },
    });
    const session = buildSession(config);
    const data = session.data as SplitImageData;
    const n = 8;
    // digits of every class, both groups of s
    const picks = Array.from({ length: n }, (_, i) => i * 251);
    const x = tf.tensor4d(
      Float32Array.from(picks.flatMap((j) => Array.from(data.heldOut.x.subarray(j * 784, (j + 1) * 784)))),
      [n, 28, 28, 1],
    );
    const factors = Int32Array.from(
      picks.flatMap((j) => [data.heldOut.factors[2 * j], data.heldOut.factors[2 * j + 1]]),
    );
    assert.ok(
      new Set(picks.map((_, i) => factors[2 * i + 1])).size === 2,
      'the picks hold one group of s only',
    );
    const flipped = factors.map((v, i) => (i % 2 === 1 ? 1 - v : v));
    const lossOf = (f: Int32Array) =>
      tf.tidy(() => {
        const out = session.model.objectives[0].loss(x, stepContext(0, 5, 0, f));
        return Object.fromEntries(
          Object.entries({ total: out.total, ...out.terms }).map(([k, t]) => [k, t.dataSync()[0]]),
        );
      });
    const out = lossOf(factors);
    close(out.total, out.reconstruction + out.kl + 10 * out.mmd, 1e-5, 'total');
    const mean = tf.tidy(() => session.model.encode(x).mean.arraySync() as number[][]);
    const sOf = Array.from({ length: n }, (_, i) => factors[2 * i + 1]);
    close(out.mmd, referenceMmd(mean, sOf, 3), 1e-4, 'MMD on the posterior means');
    assert.notEqual(lossOf(flipped).reconstruction, out.reconstruction, 'the decoder ignored s');
    x.dispose();
  });

  it('bad inputs give one clear error', () => {
    assert.throws(() => createDataset('mnist-sensitive', '1.5'), /not a correlation in \[0, 1\]/);
    assert.throws(
      () =>
        buildSession(
          resolveTrainConfig({ model: 'fair-vae', dataset: 'mnist', architecture: 'mlp', steps: 1 }),
        ),
      (e: Error) => e instanceof InputError && /needs a dataset with a sensitive factor "s"/.test(e.message),
    );
  });

  it('after the same short training, s is less predictable from the fair VAE codes than from a plain VAE', async () => {
    const trainBriefly = async (model: string, modelOptions = {}) => {
      const config = resolveTrainConfig({
        model,
        dataset: 'mnist-sensitive',
        architecture: 'mlp',
        hidden: [128],
        latentDim: 6,
        steps: 120,
        learningRate: 1e-3,
        seed: 4,
        modelOptions,
      });
      const session = buildSession(config);
      const update = await createUpdate(session.task);
      const totals: number[] = [];
      for (let step = 0; step < config.steps; step++) {
        const entry = await trainStep(session, session.rng, step, update);
        assert.ok(Number.isFinite(entry.total), `${model}: loss ${entry.total} at step ${step}`);
        totals.push(entry.total);
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      assert.ok(mean(totals.slice(-10)) < mean(totals.slice(0, 10)), `${model}: loss did not fall`);
      return heldOutReport(session.model, session.data as SplitImageData).codePredictability;
    };
    const fair = await trainBriefly('fair-vae', { beta: 1000 });
    const plain = await trainBriefly('vae');
    assert.ok(
      fair.s.accuracy < plain.s.accuracy - 0.1,
      `s predicted from fair codes ${fair.s.accuracy}, from plain codes ${plain.s.accuracy} (chance ${plain.s.chance})`,
    );
    assert.ok(
      plain.label.accuracy > plain.label.chance + 0.1,
      `plain VAE label accuracy ${plain.label.accuracy}`,
    );
  });
});
