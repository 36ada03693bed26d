import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { stratifiedLogWeights, tcDecomposition } from '../src/models/beta-tcvae.ts';
import { batchCovariance, dipRegularizer } from '../src/models/dip-vae.ts';
import { permuteDims } from '../src/models/factor-vae.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { buildSession } from '../src/train/session.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { train } from '../src/train/trainer.ts';
import { tempDir } from './helpers/cli.ts';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

const logNormal = (x: number, m: number, lv: number) =>
  -0.5 * (Math.log(2 * Math.PI) + lv + (x - m) ** 2 / Math.exp(lv));
const logSumExp = (xs: number[]) => {
  const top = Math.max(...xs);
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
};

/** Chen et al.'s decomposition by straightforward float64 loops: the independent reference. */
function referenceDecomposition(
  z: number[][],
  mu: number[][],
  lv: number[][],
  n: number,
  estimator: 'mws' | 'mss',
) {
  const b = z.length;
  const d = z[0].length;
  const m = b - 1;
  const weight = (i: number, j: number) => {
    if (estimator === 'mws') return 1 / (b * n);
    if (j === i) return 1 / n;
    if (j === i + 1 || (i === b - 1 && j === 0)) return (n - m) / (n * m);
    return 1 / m;
  };
  let mi = 0;
  let tc = 0;
  let dimKl = 0;
  for (let i = 0; i < b; i++) {
    const joint: number[] = [];
    for (let j = 0; j < b; j++) {
      let s = Math.log(weight(i, j));
      for (let k = 0; k < d; k++) s += logNormal(z[i][k], mu[j][k], lv[j][k]);
      joint.push(s);
    }
    const logQz = logSumExp(joint);
    let logProduct = 0;
    let logQzx = 0;
    let logPz = 0;
    for (let k = 0; k < d; k++) {
      logProduct += logSumExp(
        Array.from({ length: b }, (_, j) => Math.log(weight(i, j)) + logNormal(z[i][k], mu[j][k], lv[j][k])),
      );
      logQzx += logNormal(z[i][k], mu[i][k], lv[i][k]);
      logPz += logNormal(z[i][k], 0, 0);
    }
    mi += (logQzx - logQz) / b;
    tc += (logQz - logProduct) / b;
    dimKl += (logProduct - logPz) / b;
  }
  return { mi, tc, dimKl };
}

describe('model zoo terms', () => {
  before(() => useBackend('wasm'));

  it('β-TCVAE: MI, TC and dimension-wise KL match a float64 loop, for both estimators', () => {
    const rng = new Rng(21);
    const rows = (scale: number) =>
      Array.from({ length: 5 }, () => Array.from({ length: 3 }, () => scale * rng.normal()));
    const [z, mu, lv] = [rows(1), rows(0.8), rows(0.5)];
    for (const estimator of ['mws', 'mss'] as const) {
      const got = tf.tidy(() => {
        const out = tcDecomposition(tf.tensor2d(z), tf.tensor2d(mu), tf.tensor2d(lv), 1000, estimator);
        return [out.mutualInformation, out.totalCorrelation, out.dimensionWiseKl].map((t) => t.dataSync()[0]);
      });
      const want = referenceDecomposition(z, mu, lv, 1000, estimator);
      close(got[0], want.mi, 1e-4, `${estimator} MI`);
      close(got[1], want.tc, 1e-4, `${estimator} TC`);
      close(got[2], want.dimKl, 1e-4, `${estimator} dim-wise KL`);
    }
    const weights = tf.tidy(() => tf.exp(stratifiedLogWeights(6, 500)).arraySync()) as number[][];
    for (const row of weights)
      close(
        row.reduce((a, b) => a + b, 0),
        1,
        1e-6,
        'MSS weights of a sample sum to 1',
      );
  });

  it('DIP-VAE: covariance and the moment-matching penalty by hand', () => {
    const x = [
      [1, 2],
      [3, 0],
      [2, 4],
    ];
    const cov = tf.tidy(() => batchCovariance(tf.tensor2d(x)).arraySync()) as number[][];
    const mean = [2, 2];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        const want = x.reduce((s, r) => s + (r[i] - mean[i]) * (r[j] - mean[j]), 0) / 3;
        close(cov[i][j], want, 1e-6, `C[${i}][${j}]`);
      }
    }
    const penalty = tf.tidy(
      () =>
        dipRegularizer(
          tf.tensor2d([
            [2, 0.5],
            [0.5, 1],
          ]),
          3,
          7,
        ).dataSync()[0],
    );
    close(penalty, 3 * (0.25 + 0.25) + 7 * (1 + 0), 1e-6, 'λ_od Σ off² + λ_d Σ (diag − 1)²');
  });

  it("FactorVAE permuteDims keeps every dimension's marginal and breaks the joint", () => {
    const batch = 64;
    const values = Array.from({ length: batch }, (_, i) => [i, 1000 + i, 2000 + i]);
    const out = tf.tidy(() =>
      permuteDims(tf.tensor2d(values), stepContext(0, 77, 0)).arraySync(),
    ) as number[][];
    for (let d = 0; d < 3; d++) {
      const column = out.map((r) => r[d]).sort((a, b) => a - b);
      assert.deepEqual(
        column,
        values.map((r) => r[d]),
        `dim ${d} is a permutation of itself`,
      );
    }
    const aligned = out.filter((r) => r[1] - r[0] === 1000).length;
    assert.ok(aligned < 10, `rows mixed across dims (${aligned} of ${batch} still aligned)`);
  });
});

describe('model zoo training smoke tests', () => {
  before(() => useBackend('wasm'));
  const expectedTerms: Record<string, string[]> = {
    'beta-tcvae': ['mutualInformation', 'totalCorrelation', 'dimensionWiseKl'],
    'factor-vae': ['totalCorrelation', 'discriminator.loss', 'discriminator.accuracy'],
    'dip-vae-i': ['dipRegularizer'],
    'dip-vae-ii': ['dipRegularizer'],
  };
  for (const [model, terms] of Object.entries(expectedTerms)) {
    it(`${model} trains: finite terms, reconstruction falling`, async () => {
      const config = resolveTrainConfig({
        model,
        architecture: 'mlp',
        hidden: [64],
        batchSize: 16,
        steps: 40,
        learningRate: 1e-3,
        logEvery: 10,
        seed: 2,
      });
      const dir = tempDir(model);
      await train(buildSession(config), dir);
      const log = readLog(dir);
      for (const e of log) {
        for (const term of ['total', 'reconstruction', 'kl', ...terms])
          assert.ok(Number.isFinite(e[term]), `${term} at step ${e.step}: ${e[term]}`);
      }
      const [first, last] = [log[0], log[log.length - 1]];
      assert.ok(
        (last.reconstruction as number) < (first.reconstruction as number) - 50,
        `reconstruction ${first.reconstruction} -> ${last.reconstruction}`,
      );
    });
  }
});
