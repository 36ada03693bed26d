import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import {
  featureImportances,
  fitGradientBoosting,
  predictGradientBoosting,
} from '../src/metrics/gradient-boosting.ts';
import { fitLinearSvm, predictLinearSvm } from '../src/metrics/linear-svm.ts';
import { fitLogistic, predictProbabilities } from '../src/metrics/logistic-regression.ts';
import { migFromSample } from '../src/metrics/mig.ts';
import { rocAuc } from '../src/metrics/roc-auc.ts';
import { unsupervisedFromCodes } from '../src/metrics/unsupervised.ts';
import { tempDir } from './helpers/cli.ts';

// The estimators our metrics are built on, against scikit-learn/scipy on the same data (Debian's
// python3-sklearn; skipped when it is absent).
const python = '/usr/bin/python3';
const hasSklearn = spawnSync(python, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;

const n = 1500;
const rng = new Rng(21);
const labels = Int32Array.from({ length: n }, () => rng.int(4));
const x = Float64Array.from({ length: n * 3 }, (_, i) => {
  const label = labels[Math.floor(i / 3)];
  return (i % 3 === 0 ? label : i % 3 === 1 ? label % 2 : 0) + rng.normal();
});
const factors = Int32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? labels[i >> 1] : rng.int(3)));

function sklearn(script: string): Record<string, number[] | number> {
  const dir = tempDir('sklearn');
  writeNpy(join(dir, 'x.npy'), { dtype: 'float64', shape: [n, 3], data: x });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: labels });
  writeNpy(join(dir, 'f.npy'), { dtype: 'int32', shape: [n, 2], data: factors });
  const prelude = `import json, numpy as np\nx = np.load('${dir}/x.npy'); y = np.load('${dir}/y.npy'); f = np.load('${dir}/f.npy')\n`;
  const out = spawnSync(python, ['-c', prelude + script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

describe('estimators against scikit-learn', {
  skip: hasSklearn ? false : 'python3-sklearn is not installed',
}, () => {
  test('multinomial logistic regression (C = 1, lbfgs): the same probabilities', () => {
    const ref = sklearn(`from sklearn.linear_model import LogisticRegression
m = LogisticRegression(tol=1e-8, max_iter=1000).fit(x, y)
print(json.dumps({'p': m.predict_proba(x[:50]).ravel().tolist()}))`);
    const model = fitLogistic(x, labels, 3, { tolerance: 1e-8, maxIterations: 1000 });
    const ours = predictProbabilities(model, x.subarray(0, 150), 50);
    const worst = Math.max(...Array.from(ours, (v, i) => Math.abs(v - (ref.p as number[])[i])));
    assert.ok(worst < 1e-4, `largest probability difference ${worst}`);
  });

  test('LinearSVC (C = 0.01, balanced, one-vs-rest) on one feature: the same predictions', () => {
    const ref = sklearn(`from sklearn.svm import LinearSVC
m = LinearSVC(C=0.01, class_weight='balanced', tol=1e-8, max_iter=100000).fit(x[:, :1], y)
print(json.dumps({'pred': m.predict(x[:, :1]).tolist(), 'coef': m.coef_.ravel().tolist(), 'b': m.intercept_.tolist()}))`);
    const svm = fitLinearSvm(
      x.filter((_, i) => i % 3 === 0),
      labels,
      { c: 0.01, balanced: true },
    );
    svm.planes.forEach(([w, b], c) => {
      assert.ok(
        Math.abs(w - (ref.coef as number[])[c]) < 1e-3,
        `class ${c}: w ${w} vs ${(ref.coef as number[])[c]}`,
      );
      assert.ok(
        Math.abs(b - (ref.b as number[])[c]) < 1e-3,
        `class ${c}: b ${b} vs ${(ref.b as number[])[c]}`,
      );
    });
    const predicted = predictLinearSvm(
      svm,
      x.filter((_, i) => i % 3 === 0),
    );
    const disagree = predicted.filter((p, i) => p !== (ref.pred as number[])[i]).length;
    assert.ok(disagree <= 2, `${disagree} predictions differ`);
  });

  test('ROC AUC with ties, discretised MIG, Gaussian total and Wasserstein correlation', () => {
    const ref = sklearn(`from sklearn.metrics import roc_auc_score, mutual_info_score
from scipy import linalg
s = np.round(x[:, 0], 1)
auc = roc_auc_score(y == 2, s)
d = np.stack([np.digitize(c, np.histogram(c, 20)[1][:-1]) for c in x.T])
m = np.array([[mutual_info_score(fj, c) for fj in f.T] for c in d])
top = np.sort(m, axis=0)[::-1]
h = np.array([mutual_info_score(fj, fj) for fj in f.T])
cov = np.cov(x.T)
tc = 0.5 * (np.sum(np.log(np.diag(cov))) - np.linalg.slogdet(cov)[1])
w = 2 * np.trace(cov) - 2 * np.trace(linalg.sqrtm(cov * np.diag(cov)[:, None])).real
print(json.dumps({'auc': auc, 'mig': float(np.mean((top[0] - top[1]) / h)), 'tc': tc, 'w': w}))`);
    const rounded = Float64Array.from({ length: n }, (_, i) => Math.round(x[i * 3] * 10) / 10);
    assert.ok(
      Math.abs(
        rocAuc(
          rounded,
          Array.from(labels, (l) => l === 2),
        ) - (ref.auc as number),
      ) < 1e-12,
    );
    const mig = migFromSample(x, factors, n, 3, 2, 20);
    assert.ok(Math.abs(mig.mig - (ref.mig as number)) < 1e-12, `mig ${mig.mig} vs ${ref.mig}`);
    const u = unsupervisedFromCodes(x, n, 3, 20);
    assert.ok(Math.abs(u.gaussianTotalCorrelation - (ref.tc as number)) < 1e-10);
    assert.ok(Math.abs(u.gaussianWassersteinCorrelation - (ref.w as number)) < 1e-8);
  });

  test('GradientBoostingClassifier: the same trees, importances and predictions (4 and 2 classes)', () => {
    // scikit-learn breaks exact ties between features (nodes of a few points that several features split
    // the same way) at random, so its importances move by ~2e-3 with random_state; ours share such ties,
    // which is its average: compare with the mean over eight random states
    const ref = sklearn(`from sklearn.ensemble import GradientBoostingClassifier
out = {}
for name, target in (('multi', y), ('binary', y % 2)):
    for stages in (2, 20):
        fits = [GradientBoostingClassifier(n_estimators=stages, random_state=r).fit(x[:600], target[:600]) for r in range(8)]
        m = fits[0]
        out[f'{name}{stages}_imp'] = np.mean([f.feature_importances_ for f in fits], axis=0).tolist()
        out[f'{name}{stages}_pred'] = m.predict(x[600:]).tolist()
print(json.dumps(out))`);
    for (const [name, target] of [
      ['multi', labels],
      ['binary', labels.map((l) => l % 2)],
    ] as const) {
      for (const [stages, tolerance] of [
        [2, 2e-3],
        [20, 3e-3],
      ]) {
        const model = fitGradientBoosting(x.subarray(0, 1800), target.subarray(0, 600), 3, { stages });
        const importances = ref[`${name}${stages}_imp`] as number[];
        featureImportances(model).forEach((v, f) => {
          assert.ok(
            Math.abs(v - importances[f]) < tolerance,
            `${name}${stages} importance ${f}: ${v} vs ${importances[f]}`,
          );
        });
        const predicted = predictGradientBoosting(model, x.subarray(1800), n - 600);
        const disagree = predicted.filter(
          (p, i) => p !== (ref[`${name}${stages}_pred`] as number[])[i],
        ).length;
        assert.ok(
          disagree <= (stages === 2 ? 0 : 10),
          `${name}${stages}: ${disagree} of ${n - 600} predictions differ`,
        );
      }
    }
  });
});
