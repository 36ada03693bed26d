import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '../src/data/mnist.ts';
import {
  createSemiSupervisedMnist,
  LABELLED_SHARE,
  labelledSubset,
} from '../src/data/mnist-semi-supervised.ts';
import { createDataset } from '../src/data/registry.ts';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { InputError } from '../src/io/input-error.ts';
import { heldOutReport } from '../src/metrics/code-predictability.ts';
import {
  createSemiSupervisedVae,
  m2Terms,
  semiSupervisedVaeOptions,
} from '../src/models/semi-supervised-vae.ts';
import { buildVaeNets } from '../src/nets/registry.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { buildSession } from '../src/train/session.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { trainStep } from '../src/train/trainer.ts';
import { createUpdate } from '../src/train/update/select.ts';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** Kingma et al. 2014's M2 bounds by plain float64 loops. */
function referenceM2(rec: number[][], q: number[][], klZ: number[], labels: number[], alpha: number) {
  const k = q[0].length;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= 0) {
      total += rec[i][labels[i]] + klZ[i] + Math.log(k) - alpha * Math.log(q[i][labels[i]]);
    } else {
      let u = klZ[i];
      for (let y = 0; y < k; y++) u += q[i][y] * (rec[i][y] + Math.log(q[i][y]) - Math.log(1 / k));
      total += u;
    }
  }
  return total / labels.length;
}

describe('semi-supervised VAE (M2)', () => {
  before(() => useBackend('wasm'));

  it('the M2 objective matches a float64 loop over labelled and unlabelled examples', () => {
    const rng = new Rng(5);
    const n = 6;
    const k = 4;
    const rec = Array.from({ length: n }, () => Array.from({ length: k }, () => 50 + 10 * rng.uniform()));
    const q = Array.from({ length: n }, () => {
      const w = Array.from({ length: k }, () => Math.exp(rng.normal()));
      const s = w.reduce((a, b) => a + b, 0);
      return w.map((v) => v / s);
    });
    const klZ = Array.from({ length: n }, () => 3 * rng.uniform());
    const labels = [2, -1, 0, -1, -1, 3];
    const got = tf.tidy(() => {
      const out = m2Terms(tf.tensor2d(rec), tf.tensor2d(q), tf.tensor1d(klZ), Int32Array.from(labels), 7);
      return { total: out.total.dataSync()[0], share: out.terms.labelledShare.dataSync()[0] };
    });
    close(got.total, referenceM2(rec, q, klZ, labels, 7), 1e-5, 'total');
    close(got.share, 0.5, 1e-7, 'labelled share');
  });

  it('the loss sums the decoder over every class for unlabelled examples and never reads their labels', () => {
    const latentDim = 2;
    const k = 3;
    const nets = buildVaeNets(
      { architecture: 'mlp', latentDim, imageShape: [4, 4, 1], innerKernel: 2, hidden: [8], discreteDim: k },
      new Rng(3),
    );
    const model = createSemiSupervisedVae(
      {
        nets,
        latentDim,
        rng: new Rng(4),
        datasetSize: 100,
        optimizer: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
        factors: { names: ['label', 'labelled'], sizes: [k, 2] },
      },
      semiSupervisedVaeOptions.parse({ classes: k, alpha: 2 }),
    );
    const n = 4;
    const xs = new Rng(9);
    const x = Float32Array.from({ length: n * 16 }, () => (xs.uniform() < 0.5 ? 1 : 0));
    const factors = Int32Array.from([1, 1, 2, 0, 0, 1, 1, 0]); // examples 0 and 2 labelled
    const lossWith = (f: Int32Array) =>
      tf.tidy(
        () =>
          model.objectives[0]
            .loss(tf.tensor4d(x, [n, 4, 4, 1]), stepContext(0, 11, 0, f))
            .total.dataSync()[0],
      );
    const total = lossWith(factors);
    // the same bound by decoding each (example, class) pair on its own
    const reference = tf.tidy(() => {
      const input = tf.tensor4d(x, [n, 4, 4, 1]);
      const stats = nets.encoder.apply(input) as tf.Tensor2D;
      const [mean, logVar, logits] = tf.split(stats, [latentDim, latentDim, k], 1);
      const eps = stepContext(0, 11, 0).normal([n, latentDim]);
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps)).arraySync() as number[][];
      const q = tf.softmax(logits).arraySync() as number[][];
      const m = mean.arraySync() as number[][];
      const lv = logVar.arraySync() as number[][];
      const rec = z.map((zi, i) =>
        Array.from({ length: k }, (_, y) => {
          const oneHot = Array.from({ length: k }, (_, c) => (c === y ? 1 : 0));
          const l = (nets.decoder.apply(tf.tensor2d([[...zi, ...oneHot]])) as tf.Tensor).dataSync();
          let sum = 0;
          for (let p = 0; p < 16; p++) sum += Math.log1p(Math.exp(l[p])) - l[p] * x[i * 16 + p];
          return sum;
        }),
      );
      const klZ = m.map((row, i) =>
        row.reduce((s, mu, d) => s + 0.5 * (mu * mu + Math.exp(lv[i][d]) - lv[i][d] - 1), 0),
      );
      return referenceM2(rec, q, klZ, [1, -1, 0, -1], 2);
    });
    close(total, reference, 1e-4, 'M2 loss vs per-pair decoding');
    const relabelled = Int32Array.from([1, 1, 0, 0, 0, 1, 2, 0]); // only unlabelled examples' labels change
    assert.equal(lossWith(relabelled), total, "an unlabelled example's label changed the loss");
    assert.throws(() => lossWith(new Int32Array(0)), /needs the batch's factors/);
  });

  it('the labelled digits are a class-balanced subset of the training split fixed by the seed', () => {
    const mnist = loadMnist();
    const a = labelledSubset(mnist.labels, mnist.train, 100, 10, 7);
    const b = labelledSubset(mnist.labels, mnist.train, 100, 10, 7);
    const c = labelledSubset(mnist.labels, mnist.train, 100, 10, 8);
    assert.equal(a.length, 100);
    assert.equal(new Set(a).size, 100, 'duplicates');
    assert.deepEqual(a, b, 'the same seed drew another subset');
    assert.notDeepEqual(a, c, 'another seed drew the same subset');
    const train = new Set(mnist.train);
    assert.ok(
      a.every((i) => train.has(i)),
      'a labelled digit from the test split',
    );
    const perClass = new Array(10).fill(0);
    for (const i of a) perClass[mnist.labels[i]] += 1;
    assert.deepEqual(perClass, new Array(10).fill(10));
    assert.equal(labelledSubset(mnist.labels, mnist.train, 1000, 10, 7).length, 1000);
  });

  it('mnist-semi records the subset, marks it labelled and draws about half of each batch from it', () => {
    const data = createSemiSupervisedMnist(100, 3);
    assert.deepEqual(data.factorNames, ['label', 'labelled']);
    assert.deepEqual(data.labelledIndices, createSemiSupervisedMnist(100, 3).labelledIndices);
    const marked = data.training.factors.filter(
      (_, i) => i % 2 === 1 && data.training.factors[i] === 1,
    ).length;
    assert.equal(marked, 100);
    const rows = data.sampleFactors(4000, new Rng(1));
    let labelled = 0;
    for (let i = 1; i < rows.length; i += 2) labelled += rows[i];
    close(labelled / 4000, LABELLED_SHARE, 0.05, 'labelled share of the batch rows');
    assert.equal(data.heldOut.count, loadMnist().test.length);
  });

  it('bad inputs give one clear error', () => {
    assert.throws(
      () => createDataset('mnist-semi', '20000'),
      (e: Error) => e instanceof InputError && /only 8000/.test(e.message),
    );
    assert.throws(() => createDataset('mnist-semi', 'many'), /not a number of labelled digits/);
    assert.throws(
      () =>
        buildSession(
          resolveTrainConfig({
            model: 'semi-supervised-vae',
            dataset: 'dsprites',
            architecture: 'mlp',
            steps: 1,
          }),
        ),
      (e: Error) => e instanceof InputError && /needs a dataset with a "label" factor/.test(e.message),
    );
  });

  it('trains on 100 labels: finite terms, loss falling, held-out accuracy of q(y|x) well above chance', async () => {
    const config = resolveTrainConfig({
      model: 'semi-supervised-vae',
      dataset: 'mnist-semi',
      variant: '100',
      architecture: 'mlp',
      hidden: [128],
      latentDim: 6,
      batchSize: 64,
      steps: 150,
      learningRate: 1e-3,
      seed: 1,
    });
    const session = buildSession(config);
    const update = await createUpdate(session.task);
    const totals: number[] = [];
    for (let step = 0; step < config.steps; step++) {
      const entry = await trainStep(session, session.rng, step, update);
      for (const term of ['total', 'reconstruction', 'kl', 'klClass', 'classification'])
        assert.ok(Number.isFinite(entry[term]), `${term} at step ${step}: ${entry[term]}`);
      totals.push(entry.total);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const [first, last] = [mean(totals.slice(0, 10)), mean(totals.slice(-10))];
    assert.ok(last < first - 100, `loss ${first} -> ${last}`);
    const report = heldOutReport(session.model, session.data as never);
    assert.ok(report.classifier, 'no classifier accuracy');
    assert.ok(
      report.classifier.accuracy > 0.4,
      `held-out accuracy ${report.classifier.accuracy} (chance ${report.classifier.chance})`,
    );
    assert.equal(report.labelledIndices?.length, 100);
  });
});
