import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { poolSource } from '../src/metrics/code-source.ts';
import { dciFromSamples } from '../src/metrics/dci.ts';
import { fairness } from '../src/metrics/fairness.ts';
import { modularityFromSamples } from '../src/metrics/modularity-explicitness.ts';
import { fitRidge } from '../src/metrics/ridge.ts';
import { sapFromSamples } from '../src/metrics/sap.ts';
import { DEFAULT_METRICS, METRICS, metricRng, parseMetricNames } from '../src/metrics/suite.ts';
import { tempDir } from './helpers/cli.ts';

// Continuous factors (untangle metrics --continuous): regressors where a metric fits a classifier,
// disentanglement_lib's histogram bins where it counts; checked against numpy/scikit-learn.
const python = '/usr/bin/python3';
const hasSklearn = spawnSync(python, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;

// shape: 3 values; posX uniform on [0, 1); scale a skewed continuous factor
const n = 1500;
const dim = 4;
const k = 3;
const rng = new Rng(11);
const factors = new Float64Array(n * k);
const codes = new Float64Array(n * dim);
for (let i = 0; i < n; i++) {
  const f = [rng.int(3), rng.uniform(), Math.exp(rng.normal() / 2)];
  factors.set(f, i * k);
  codes[i * dim] = f[0] + 0.3 * rng.normal();
  codes[i * dim + 1] = 2 * f[1] + 0.05 * rng.normal();
  codes[i * dim + 2] = Math.tanh(f[2] - 1) + 0.1 * rng.normal() + 0.2 * f[1];
  codes[i * dim + 3] = rng.normal();
}
const continuous = { columns: [1, 2], bins: 20 };
const pool = poolSource(codes, factors, n, dim, ['shape', 'posX', 'scale'], { continuous });
const [train, held] = pool.samples([1000, 500], metricRng(0, 'continuous-test'));

function reference(script: string): Record<string, number | number[]> {
  const dir = tempDir('continuous-metrics');
  const save = (name: string, b: typeof train) => {
    writeNpy(join(dir, `${name}z.npy`), { dtype: 'float64', shape: [b.n, dim], data: b.codes });
    writeNpy(join(dir, `${name}v.npy`), { dtype: 'float64', shape: [b.n, k], data: b.values! });
    writeNpy(join(dir, `${name}l.npy`), { dtype: 'int32', shape: [b.n, k], data: b.factors });
  };
  save('train', train);
  save('test', held);
  writeNpy(join(dir, 'all.npy'), { dtype: 'float64', shape: [n, k], data: factors });
  const prelude = `import json, numpy as np
z, v, l = (np.load('${dir}/train' + s + '.npy') for s in 'zvl')
zt, vt, lt = (np.load('${dir}/test' + s + '.npy') for s in 'zvl')
allf = np.load('${dir}/all.npy')
`;
  const out = spawnSync(python, ['-c', prelude + script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

const close = (ours: number, theirs: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(ours - theirs) <= tolerance, `${what}: ours ${ours}, reference ${theirs}`);

describe('continuous factors against numpy/scikit-learn', {
  skip: hasSklearn ? false : 'python3-sklearn is not installed',
}, () => {
  test("the pool bins a continuous factor as disentanglement_lib's discretizer (numpy histogram edges)", () => {
    const ref = reference(`out = {}
for j in (1, 2):
    edges = np.histogram(allf[:, j], 20)[1][:-1]
    # digitize on the whole pool, then the used bins relabelled 0..m-1 in order
    used = np.unique(np.digitize(allf[:, j], edges))
    out[str(j)] = np.searchsorted(used, np.digitize(v[:, j], edges)).tolist()
    out['size' + str(j)] = len(used)
print(json.dumps(out))`);
    for (const j of [1, 2]) {
      const labels = Array.from({ length: train.n }, (_, i) => train.factors[i * k + j]);
      assert.deepEqual(labels, ref[String(j)], `bins of factor ${j}`);
      assert.equal(pool.factorSizes[j], ref[`size${j}`]);
    }
    assert.deepEqual(pool.continuous, [false, true, true]);
  });

  test('DCI: a regressor for a continuous factor, its importances and R² as scikit-learn', () => {
    const ref = reference(`from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
from sklearn.metrics import r2_score
imp, inf = [], []
for j in range(3):
    imps, r2s = [], []
    for seed in range(4):  # scikit-learn breaks tied splits at random: its mean over seeds
        if j == 0:
            m = GradientBoostingClassifier(random_state=seed).fit(z, l[:, 0])
            r2s.append(np.mean(m.predict(zt) == lt[:, 0]))
        else:
            m = GradientBoostingRegressor(random_state=seed).fit(z, v[:, j])
            r2s.append(r2_score(vt[:, j], m.predict(zt)))
        imps.append(m.feature_importances_)
    imp.append(np.mean(imps, 0).tolist()); inf.append(float(np.mean(r2s)))
print(json.dumps({'imp': sum(imp, []), 'inf': inf}))`);
    const ours = dciFromSamples(train, held, dim, k, { stages: 100 }, pool.continuous);
    const theirs = ref.imp as number[];
    for (let j = 0; j < k; j++) {
      for (let d = 0; d < dim; d++) close(ours.importance[d][j], theirs[j * dim + d], 3e-3, `R[${d}][${j}]`);
    }
    const inf = ref.inf as number[];
    close(ours.informativenessTest, (inf[0] + inf[1] + inf[2]) / 3, 5e-3, 'test informativeness');
    assert.ok(inf[1] > 0.95, `posX is predictable: R² ${inf[1]}`);
  });

  test('explicitness: Ridge() R² on standardised codes; SAP: squared correlation with the values', () => {
    const ref = reference(`from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import r2_score
sc = StandardScaler().fit(z); zs, zts = sc.transform(z), sc.transform(zt)
coef, r2 = [], []
for j in (1, 2):
    m = Ridge().fit(zs, v[:, j]); coef += m.coef_.tolist() + [float(m.intercept_)]
    r2.append(r2_score(vt[:, j], m.predict(zts)))
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import label_binarize
clf = LogisticRegression().fit(zs, l[:, 0])
auc = roc_auc_score(label_binarize(lt[:, 0], classes=clf.classes_), clf.predict_proba(zts))
sap = [float(np.corrcoef(z[:, d], v[:, j])[0, 1] ** 2) for d in range(4) for j in (1, 2)]
print(json.dumps({'coef': coef, 'r2': r2, 'auc': auc, 'sap': sap}))`);
    const standardised = Float64Array.from(train.codes);
    for (let d = 0; d < dim; d++) {
      let mean = 0;
      let sq = 0;
      for (let i = 0; i < train.n; i++) mean += train.codes[i * dim + d] / train.n;
      for (let i = 0; i < train.n; i++) sq += (train.codes[i * dim + d] - mean) ** 2 / train.n;
      for (let i = 0; i < train.n; i++)
        standardised[i * dim + d] = (train.codes[i * dim + d] - mean) / Math.sqrt(sq);
    }
    [1, 2].forEach((j, t) => {
      const y = Float64Array.from({ length: train.n }, (_, i) => train.values![i * k + j]);
      const model = fitRidge(standardised, y, dim);
      const theirs = (ref.coef as number[]).slice(t * (dim + 1), (t + 1) * (dim + 1));
      model.weights.forEach((w, d) => {
        close(w, theirs[d], 1e-9, `ridge weight ${d} of factor ${j}`);
      });
      close(model.intercept, theirs[dim], 1e-9, `ridge intercept of factor ${j}`);
    });
    const ours = modularityFromSamples(train, held, dim, k, 20, pool.continuous);
    const r2 = ref.r2 as number[];
    // shape keeps its ROC-AUC; the continuous factors add their R²
    close(ours.explicitnessTest, ((ref.auc as number) + r2[0] + r2[1]) / 3, 1e-4, 'explicitness (test)');
    assert.ok(r2[0] > 0.95, `posX: R² ${r2[0]}`);
    const sap = sapFromSamples(train, held, dim, k, { c: 0.01, continuousFactors: 0 }, pool.continuous);
    for (let d = 0; d < dim; d++) {
      [1, 2].forEach((j, t) => {
        close(sap.scoreMatrix[d][j], (ref.sap as number[])[d * 2 + t], 1e-12, `SAP ${d},${j}`);
      });
    }
  });
});

describe('continuous factors: where a metric cannot apply', () => {
  test('fairness refuses a continuous factor with one line naming it', () => {
    assert.throws(
      () => fairness(pool, new Rng(0), { numTrain: 100, stages: 2 }),
      /^InputError: fairness: factor posX, scale is continuous, but it classifies every factor/,
    );
  });

  test('the default selection leaves out the opt-in metrics; all selects every one', () => {
    assert.deepEqual(parseMetricNames(undefined), DEFAULT_METRICS);
    assert.deepEqual(
      Object.keys(METRICS).filter((m) => !DEFAULT_METRICS.includes(m)),
      ['fairness', 'downstream-logistic', 'downstream-gbt'],
    );
    assert.deepEqual(parseMetricNames('all'), Object.keys(METRICS));
  });
});
