import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import {
  averageLogLikelihood,
  type FactorAnalysis,
  fitFactorAnalysis,
  invert,
  logDeterminant,
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
    const cInverse = invert(c, d);
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
