import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { inverseSpd, logDeterminant } from '../src/math/cholesky.ts';
import {
  averageLogLikelihood,
  type FactorAnalysis,
  fitFactorAnalysis,
  posterior,
} from '../src/models/factor-analysis.ts';

const d = 8;
const k = 2;

/** n samples of x = W z + μ + ε from a known model. */
function synthetic(n: number, rng: Rng) {
  const loadings = Float64Array.from({ length: d * k }, () => rng.normal());
  const noise = Float64Array.from({ length: d }, () => 0.1 + 0.4 * rng.uniform());
  const mean = Float64Array.from({ length: d }, () => rng.normal());
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = [rng.normal(), rng.normal()];
    for (let a = 0; a < d; a++) {
      x[i * d + a] =
        mean[a] + loadings[a * k] * z[0] + loadings[a * k + 1] * z[1] + Math.sqrt(noise[a]) * rng.normal();
    }
  }
  return { x, truth: { dims: d, factors: k, mean, loadings, noise } as FactorAnalysis };
}

/** W Wᵀ + Ψ, [d, d]. */
function covarianceOf(m: FactorAnalysis): Float64Array {
  const c = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      for (let f = 0; f < k; f++) c[a * d + b] += m.loadings[a * k + f] * m.loadings[b * k + f];
      if (a === b) c[a * d + b] += m.noise[a];
    }
  }
  return c;
}

describe('factor analysis', () => {
  const rng = new Rng(5);
  const { x, truth } = synthetic(4000, rng);

  test('EM never lowers the likelihood and recovers the covariance W Wᵀ + Ψ', () => {
    const { model, logLikelihood } = fitFactorAnalysis(x, 4000, d, new Rng(1), {
      factors: k,
      iterations: 300,
      tolerance: 1e-9,
    });
    for (let i = 1; i < logLikelihood.length; i++)
      assert.ok(logLikelihood[i] >= logLikelihood[i - 1] - 1e-9, `iteration ${i}`);
    const [fitted, real] = [covarianceOf(model), covarianceOf(truth)];
    const error = Math.sqrt(
      fitted.reduce((s, v, i) => s + (v - real[i]) ** 2, 0) / real.reduce((s, v) => s + v * v, 0),
    );
    assert.ok(error < 0.05, `relative covariance error ${error}`);
    // the fitted model explains its data at least as well as the true one
    const centered = x.map((v, i) => v - model.mean[i % d]);
    assert.ok(
      averageLogLikelihood(model, centered, 4000) >=
        averageLogLikelihood({ ...truth, mean: model.mean }, centered, 4000),
    );
  });

  test('posterior mean and likelihood match the direct d×d formulas', () => {
    const rows = 5;
    const c = covarianceOf(truth);
    const cInverse = inverseSpd(c, d);
    const { posteriorMean } = posterior(truth, x.subarray(0, rows * d), rows);
    let direct = 0;
    for (let i = 0; i < rows; i++) {
      const r = Float64Array.from({ length: d }, (_, a) => x[i * d + a] - truth.mean[a]);
      const solved = Float64Array.from({ length: d }, (_, a) =>
        r.reduce((s, v, b) => s + cInverse[a * d + b] * v, 0),
      );
      for (let f = 0; f < k; f++) {
        // E[z|x] = Wᵀ C⁻¹ (x − μ)
        const expected = solved.reduce((s, v, a) => s + truth.loadings[a * k + f] * v, 0);
        assert.ok(Math.abs(posteriorMean[i * k + f] - expected) < 1e-9);
      }
      direct +=
        -0.5 *
        (d * Math.log(2 * Math.PI) + logDeterminant(c, d) + solved.reduce((s, v, a) => s + v * r[a], 0));
    }
    const centered = x.subarray(0, rows * d).map((v, i) => v - truth.mean[i % d]);
    assert.ok(Math.abs(averageLogLikelihood(truth, centered, rows) - direct / rows) < 1e-9);
  });
});

describe('untangle factor-analysis', () => {
  test('fits dSprites images and writes loadings, reconstructions and the likelihood trace', async () => {
    const { existsSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tempDir, untangle } = await import('./helpers/cli.ts');
    const out = join(tempDir('fa'), 'run');
    const result = untangle([
      'factor-analysis',
      '--points',
      '300',
      '--factors',
      '4',
      '--iterations',
      '6',
      '--out',
      out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(readFileSync(join(out, 'factor-analysis.json'), 'utf8'));
    assert.equal(summary.logLikelihood.length, 6);
    for (let i = 1; i < 6; i++) assert.ok(summary.logLikelihood[i] >= summary.logLikelihood[i - 1] - 1e-6);
    assert.ok(summary.heldOutSquaredError > 0 && summary.heldOutSquaredError < 400);
    for (const file of ['loadings.png', 'reconstructions.png', 'loadings.npy', 'noise.npy', 'mean.npy']) {
      assert.ok(existsSync(join(out, file)), file);
    }
  });
});

describe('reconstruction error of factor analysis against a VAE', () => {
  test('squared error and Bernoulli cross-entropy of a tiny case, by hand', async () => {
    const { reconstructionError } = await import('../src/metrics/reconstruction-error.ts');
    const e = reconstructionError([0, 1, 0.5, 1], [0.1, 0.8, 0.5, 1.2], 2, 2);
    // squares 0.01 + 0.04 + 0 + 0.04; cross-entropies −log 0.9, −log 0.8, log 2, −log(1 − 1e-6) (clipped)
    assert.ok(Math.abs(e.meanSquaredErrorPerPixel - 0.09 / 4) < 1e-12, `${e.meanSquaredErrorPerPixel}`);
    assert.ok(Math.abs(e.squaredErrorPerImage - 0.09 / 2) < 1e-12, `${e.squaredErrorPerImage}`);
    const ce = (-Math.log(0.9) - Math.log(0.8) + Math.log(2) - Math.log(1 - 1e-6)) / 2;
    assert.ok(
      Math.abs(e.bernoulliCrossEntropyPerImage - ce) < 1e-12,
      `${e.bernoulliCrossEntropyPerImage} vs ${ce}`,
    );
    assert.throws(() => reconstructionError([0, 1], [0], 1, 2), /needs 2 of each/);
  });

  test('`--compare RUN` measures both models on the same digits, as an independent computation does', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const tf = await import('@tensorflow/tfjs-core');
    const { sampleBatch } = await import('../src/data/ground-truth.ts');
    const { readNpy } = await import('../src/io/npy.ts');
    const { loadRun } = await import('../src/run/load-run.ts');
    const { tempDir, untangle } = await import('./helpers/cli.ts');
    const dir = tempDir('fa-compare');
    const run = join(dir, 'vae');
    const trained = untangle([
      ...['train', '--model', 'vae', '--preset', 'lecture-mnist', '--steps', '10', '--threads', '1'],
      ...['--set', 'batchSize=32', '--out', run],
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    const out = join(dir, 'fa');
    const [points, testPoints, seed] = [200, 30, 4];
    const result = untangle([
      ...['factor-analysis', '--compare', run, '--points', `${points}`, '--test-points', `${testPoints}`],
      ...['--iterations', '5', '--seed', `${seed}`, '--out', out],
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /factor-analysis +[\d.]+ +[\d.]+ +[\d.]+\nvae +[\d.]+/);
    const summary = JSON.parse(readFileSync(join(out, 'factor-analysis.json'), 'utf8'));
    assert.equal(summary.factors, 2, 'as many factors as the run has latent dims');
    assert.equal(summary.comparison.testPoints, testPoints);

    // the same test digits: the sample, then the d·k draws of the initial loadings, then the test sample
    const { model: vae, data } = await loadRun(run);
    const d = 784;
    const rng = new Rng(seed);
    sampleBatch(data, points, rng);
    for (let i = 0; i < d * 2; i++) rng.normal();
    const { x } = sampleBatch(data, testPoints, rng);

    // FA: E[z|x] = Wᵀ (W Wᵀ + Ψ)⁻¹ (x − μ), the direct form (the command uses Woodbury's)
    const w = readNpy(join(out, 'loadings.npy')).data as Float64Array;
    const psi = readNpy(join(out, 'noise.npy')).data as Float64Array;
    const mu = readNpy(join(out, 'mean.npy')).data as Float64Array;
    const cov = new Float64Array(d * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) cov[a * d + b] = w[a * 2] * w[b * 2] + w[a * 2 + 1] * w[b * 2 + 1];
      cov[a * d + a] += psi[a];
    }
    const inverse = inverseSpd(cov, d);
    let faSquared = 0;
    let vaeSquared = 0;
    const vaeRecon = tf.tidy(
      () => vae.decode(vae.encode(tf.tensor4d(x, [testPoints, 28, 28, 1])).mean).dataSync() as Float32Array,
    );
    for (let i = 0; i < testPoints; i++) {
      const centred = Float64Array.from({ length: d }, (_, a) => x[i * d + a] - mu[a]);
      const solved = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += inverse[a * d + b] * centred[b];
        solved[a] = s;
      }
      const z = [0, 1].map((f) => solved.reduce((s, v, a) => s + w[a * 2 + f] * v, 0));
      for (let a = 0; a < d; a++) {
        faSquared += (mu[a] + w[a * 2] * z[0] + w[a * 2 + 1] * z[1] - x[i * d + a]) ** 2;
        vaeSquared += (vaeRecon[i * d + a] - x[i * d + a]) ** 2;
      }
    }
    const { factorAnalysis, vae: vaeError } = summary.comparison;
    const near = (a: number, b: number, what: string) =>
      assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: ${a}, independently ${b}`);
    near(factorAnalysis.squaredErrorPerImage, faSquared / testPoints, 'FA squared error per image');
    near(factorAnalysis.meanSquaredErrorPerPixel, faSquared / (testPoints * d), 'FA squared error per pixel');
    near(vaeError.squaredErrorPerImage, vaeSquared / testPoints, 'VAE squared error per image');
  });

  test('refuses a missing run and a latent size other than the run’s, in one line', async () => {
    const { join } = await import('node:path');
    const { tempDir, untangle } = await import('./helpers/cli.ts');
    const dir = tempDir('fa-bad');
    const missing = untangle(['factor-analysis', '--compare', join(dir, 'none'), '--out', join(dir, 'out')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^untangle: .*none is not a run folder: it has no readable config\.json\n$/);
    const run = join(dir, 'vae');
    const trained = untangle([
      ...['train', '--model', 'vae', '--preset', 'lecture-mnist', '--steps', '1', '--threads', '1'],
      ...['--set', 'batchSize=8', '--out', run],
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    const wrong = untangle([
      'factor-analysis',
      '--compare',
      run,
      '--factors',
      '5',
      '--out',
      join(dir, 'out'),
    ]);
    assert.equal(wrong.status, 2);
    assert.match(
      wrong.stderr,
      /^untangle: --factors 5: the run .* has 2 latent dims, compare with as many factors/,
    );
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
  });
});
