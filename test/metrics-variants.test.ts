import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { poolSource } from '../src/metrics/code-source.ts';
import { fitGradientBoosting } from '../src/metrics/gradient-boosting.ts';
import { mig, migVariantLabel } from '../src/metrics/mig.ts';
import { samplingMutualInformation } from '../src/metrics/mig-sampling.ts';
import { tempDir } from './helpers/cli.ts';

// The named variants of docs/metrics.md's table: Chen et al.'s sampling MIG and DCI's unnormalised
// importances against numpy/scikit-learn, and where a variant cannot apply.
const python = '/usr/bin/python3';
const hasSklearn = spawnSync(python, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;

const n = 400;
const dim = 3;
const k = 2;
const rng = new Rng(3);
const factors = new Int32Array(n * k);
const mean = new Float64Array(n * dim);
const logVar = new Float64Array(n * dim);
for (let i = 0; i < n; i++) {
  factors[i * k] = rng.int(4);
  factors[i * k + 1] = rng.int(3);
  mean[i * dim] = factors[i * k] + 0.2 * rng.normal();
  mean[i * dim + 1] = 0.5 * factors[i * k + 1] + 0.3 * factors[i * k] + 0.2 * rng.normal();
  mean[i * dim + 2] = rng.normal();
  for (let d = 0; d < dim; d++) logVar[i * dim + d] = Math.log(0.05 + 0.3 * rng.uniform());
}

function reference(
  script: string,
  arrays: Record<string, { data: Float64Array | Int32Array; shape: number[] }>,
) {
  const dir = tempDir('metric-variants');
  for (const [name, { data, shape }] of Object.entries(arrays)) {
    const dtype = data instanceof Int32Array ? 'int32' : 'float64';
    writeNpy(join(dir, `${name}.npy`), { dtype, shape, data });
  }
  const prelude = `import json, numpy as np\n${Object.keys(arrays)
    .map((name) => `${name} = np.load('${dir}/${name}.npy')`)
    .join('\n')}\n`;
  const out = spawnSync(python, ['-c', prelude + script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

describe('metric variants against numpy/scikit-learn', {
  skip: hasSklearn ? false : 'python3-sklearn is not installed',
}, () => {
  test("Chen et al.'s sampling MIG: the same entropies as a numpy/scipy transcription of their estimator", () => {
    const draws = Float64Array.from(mean, (m, i) => m + Math.exp(logVar[i] / 2) * rng.normal());
    const order = Int32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i)));
    const samples = 150;
    const ours = samplingMutualInformation(mean, logVar, draws, factors, n, dim, k, order, samples);
    const ref = reference(
      `from scipy.special import logsumexp
from scipy.stats import norm
def H(rows, d):
    picked = [r for r in order if r in set(rows)][:${samples}]
    logq = norm.logpdf(z[picked, d][:, None], mu[rows, d][None, :], np.exp(lv[rows, d] / 2)[None, :])
    return -np.mean(logsumexp(logq, axis=1) - np.log(len(rows)))
allrows = np.arange(len(mu))
mi = [[H(allrows, d) - sum(np.mean(f[:, j] == v) * H(np.flatnonzero(f[:, j] == v), d) for v in np.unique(f[:, j]))
       for j in range(f.shape[1])] for d in range(mu.shape[1])]
print(json.dumps(mi))`,
      {
        mu: { data: mean, shape: [n, dim] },
        lv: { data: logVar, shape: [n, dim] },
        z: { data: draws, shape: [n, dim] },
        f: { data: factors, shape: [n, k] },
        order: { data: order, shape: [n] },
      },
    );
    ours.forEach((row, d) => {
      row.forEach((v, j) => {
        assert.ok(Math.abs(v - ref[d][j]) < 1e-9, `I(z${d}; v${j}): ours ${v}, numpy ${ref[d][j]}`);
      });
    });
    assert.ok(ours[0][0] > 0.5 && ours[2][0] < 0.05, `informative and noise dims: ${ours.map((r) => r[0])}`);
  });

  test("DCI's unnormalised importances: scikit-learn's mean over trees of compute_feature_importances(normalize=False)", () => {
    const labels = Int32Array.from({ length: n }, (_, i) => factors[i * k]);
    const ref = reference(
      `from sklearn.ensemble import GradientBoostingClassifier
m = GradientBoostingClassifier(n_estimators=20, random_state=0).fit(mu, y)
trees = [t for stage in m.estimators_ for t in stage if t.tree_.node_count > 1]
print(json.dumps(np.mean([t.tree_.compute_feature_importances(normalize=False) for t in trees], axis=0).tolist()))`,
      { mu: { data: mean, shape: [n, dim] }, y: { data: labels, shape: [n] } },
    );
    const model = fitGradientBoosting(mean, labels, dim, { stages: 20 });
    model.rawImportances.forEach((v, d) => {
      // tied splits in small deep nodes are drawn at random by scikit-learn: a few 1e-3 of the total
      assert.ok(
        Math.abs(v - ref[d]) < 2e-3 * ref.reduce((a: number, b: number) => a + b, 0),
        `R[${d}]: ours ${v}, scikit-learn ${ref[d]}`,
      );
    });
  });
});

describe('the sampling MIG on pools', () => {
  test('needs the log-variances, says so; with them a separated code scores near 1', () => {
    const pool = poolSource(mean, factors, n, dim);
    assert.throws(
      () => mig(pool, new Rng(0), { estimator: 1 }),
      /mig\.estimator=1 .* needs the posteriors' log-variances/,
    );
    // each factor in its own dim, posteriors far narrower than the gaps between values; dim 2 a wide
    // posterior around 0 (a narrow one around distinct means would name each point, hence every factor)
    const sharp = new Float64Array(n * dim);
    const tight = new Float64Array(n * dim).fill(Math.log(1e-4));
    for (let i = 0; i < n; i++) {
      sharp[i * dim] = factors[i * k];
      sharp[i * dim + 1] = factors[i * k + 1];
      sharp[i * dim + 2] = 0.1 * rng.normal();
      tight[i * dim + 2] = 0;
    }
    const result = mig(poolSource(sharp, factors, n, dim, undefined, { logVariances: tight }), new Rng(0), {
      estimator: 1,
      entropySamples: 200,
    });
    assert.equal(result.variant, 'sampling (Chen et al. 2018)');
    assert.ok(result.mig > 0.95 && result.mig < 1.05, `MIG ${result.mig}`);
    assert.match(migVariantLabel({ estimator: 1, entropySamples: 200 }), /Chen et al\. 2018.*200 draws/);
  });
});
