import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { groundTruthSource, poolSource } from '../src/metrics/code-source.ts';
import { dciEsFromSamples, explicitnessOfCurve } from '../src/metrics/dci-es.ts';
import { dcimigFromSample } from '../src/metrics/dcimig.ts';
import { downstream, fitLogisticCv } from '../src/metrics/downstream.ts';
import { fairness, interGroupFairness } from '../src/metrics/fairness.ts';
import {
  fitGradientBoostingRegressor,
  predictRegression,
} from '../src/metrics/gradient-boosting-regressor.ts';
import { infoMcOf, infoMecFromSample } from '../src/metrics/infomec.ts';
import { jemmigFromSample } from '../src/metrics/jemmig.ts';
import { digamma, knnMutualInformation } from '../src/metrics/knn-mutual-information.ts';
import { fitLasso } from '../src/metrics/lasso.ts';
import { fitLogistic, predictProbabilities } from '../src/metrics/logistic-regression.ts';
import { migSupFromSample } from '../src/metrics/mig-sup.ts';
import { metricRng } from '../src/metrics/suite.ts';
import { relativeStrength, udr } from '../src/metrics/udr.ts';
import { zMaxVar } from '../src/metrics/z-max-var.ts';
import { tempDir } from './helpers/cli.ts';
import { encoderOf, identity, identityData, noise } from './helpers/identity-data.ts';

// The newer metrics (Carbonneau et al. 2022's set, DCI-ES, InfoMEC) against numpy/scipy/scikit-learn
// re-implementations of their reference code (skipped without python3-sklearn), and sanity bounds.
const python = '/usr/bin/python3';
const hasSklearn = spawnSync(python, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;

const n = 1200;
const dim = 4;
const k = 3;
const rng = new Rng(5);
const factors = new Int32Array(n * k);
const codes = new Float64Array(n * dim);
for (let i = 0; i < n; i++) {
  const f = [rng.int(3), rng.int(5), rng.int(4)];
  factors.set(f, i * k);
  codes[i * dim] = f[0] + 0.3 * rng.normal();
  codes[i * dim + 1] = Math.tanh(f[1] - 2) + 0.2 * rng.normal();
  codes[i * dim + 2] = 0.5 * f[2] + 0.3 * f[1] + 0.3 * rng.normal();
  codes[i * dim + 3] = rng.normal();
}

function reference(script: string): Record<string, number | number[]> {
  const dir = tempDir('newer-metrics');
  writeNpy(join(dir, 'z.npy'), { dtype: 'float64', shape: [n, dim], data: codes });
  writeNpy(join(dir, 'f.npy'), { dtype: 'int32', shape: [n, k], data: factors });
  const prelude = `import json, numpy as np\nz = np.load('${dir}/z.npy'); f = np.load('${dir}/f.npy')\n`;
  const out = spawnSync(python, ['-c', prelude + script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return JSON.parse(out.stdout);
}

const close = (ours: number, theirs: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(ours - theirs) <= tolerance, `${what}: ours ${ours}, reference ${theirs}`);

describe('newer metrics against numpy/scikit-learn', {
  skip: hasSklearn ? false : 'python3-sklearn is not installed',
}, () => {
  test("MIG-sup, JEMMIG, DCIMIG: Carbonneau et al.'s definitions on 10 bins", () => {
    // their code: minmax_scale then np.digitize on linspace(0, 1, 11)[:-1]; MI by counting (pyitlib in
    // bits: the three scores are ratios, so nats give the same numbers)
    const ref = reference(`from sklearn.preprocessing import minmax_scale
from sklearn.metrics import mutual_info_score
from scipy.stats import entropy
bins = 10
c = np.digitize(minmax_scale(z), np.linspace(0, 1, bins + 1)[:-1])
H = lambda a: entropy(np.unique(a, return_counts=True)[1])
HJ = lambda a, b: entropy(np.unique(np.stack([a, b], 1), axis=0, return_counts=True)[1])
mi = np.array([[mutual_info_score(f[:, i], c[:, j]) for j in range(c.shape[1])] for i in range(f.shape[1])])
nmi = mi / np.array([H(c[:, j]) for j in range(c.shape[1])])[None, :]
s = np.sort(nmi, axis=0)
migsup = np.mean(s[-1] - s[-2])
jem = []
for i in range(f.shape[1]):
    order = np.argsort(mi[i])
    raw = HJ(f[:, i], c[:, order[-1]]) - mi[i, order[-1]] + mi[i, order[-2]]
    jem.append(1 - raw / (H(f[:, i]) + np.log(bins)))
gaps = np.zeros_like(mi)
for j in range(c.shape[1]):
    col = np.sort(mi[:, j]); gaps[np.argmax(mi[:, j]), j] = col[-1] - col[-2]
dcimig = gaps.max(axis=1).sum() / sum(H(f[:, i]) for i in range(f.shape[1]))
print(json.dumps({'migsup': migsup, 'jemmig': float(np.mean(jem)), 'dcimig': dcimig}))`);
    close(migSupFromSample(codes, factors, n, dim, k, 10).migSup, ref.migsup as number, 1e-12, 'MIG-sup');
    close(jemmigFromSample(codes, factors, n, dim, k, 10).jemmig, ref.jemmig as number, 1e-12, 'JEMMIG');
    close(dcimigFromSample(codes, factors, n, dim, k, 10).dcimig, ref.dcimig as number, 1e-12, 'DCIMIG');
  });

  test('InfoMEC: nearest-neighbour MI (mutual_info_classif), balanced unpenalised logistic regression', () => {
    const ref = reference(`from sklearn import preprocessing, feature_selection, metrics, linear_model
zs = preprocessing.StandardScaler().fit_transform(z)
nmi = np.array([[feature_selection.mutual_info_classif(zs[:, j:j+1], f[:, i], discrete_features=False, n_neighbors=10, random_state=0)[0]
                 for j in range(z.shape[1])] for i in range(f.shape[1])])
nmi /= np.array([metrics.mutual_info_score(f[:, i], f[:, i]) for i in range(f.shape[1])])[:, None]
r = z.max(0) - z.min(0); a = r > r.max() / 20; p = nmi[:, a]
K, L = f.shape[1], a.sum()
infom = (np.mean(p.max(0) / p.sum(0)) - 1 / K) / (1 - 1 / K)
infoc = (np.mean(p.max(1) / p.sum(1)) - 1 / L) / (1 - 1 / L)
e = []
for i in range(f.shape[1]):
    m = linear_model.LogisticRegression(penalty=None, class_weight='balanced', tol=1e-10, max_iter=10000).fit(zs, f[:, i])
    ce = metrics.log_loss(f[:, i], m.predict_proba(zs))
    h0 = np.log(len(np.unique(f[:, i])))
    e.append((h0 - ce) / h0)
print(json.dumps({'nmi': nmi.ravel().tolist(), 'infom': infom, 'infoc': infoc, 'infoe': float(np.mean(e))}))`);
    const ours = infoMecFromSample(codes, factors, n, dim, k, { neighbours: 10, discreteLatents: 0 });
    // scikit-learn jitters the codes by 1e-10 to break ties; the estimates agree to ~1e-6
    ours.nmi.flat().forEach((v, i) => {
      close(v, (ref.nmi as number[])[i], 1e-6, `NMI ${i}`);
    });
    close(ours.infoM, ref.infom as number, 1e-5, 'InfoM');
    close(ours.infoC, ref.infoc as number, 1e-5, 'InfoC');
    close(ours.infoE, ref.infoe as number, 2e-4, 'InfoE');
  });

  test('regression trees and boosting: DecisionTreeRegressor by depth and GradientBoostingRegressor', () => {
    const ref = reference(`from sklearn.tree import DecisionTreeRegressor
from sklearn.ensemble import GradientBoostingRegressor
y = f[:, 1] + 0.5 * f[:, 2]
trees = [DecisionTreeRegressor(max_depth=d).fit(z[:800], y[:800]).predict(z[800:]).tolist() for d in (1, 3, 6)]
gb = GradientBoostingRegressor(random_state=0).fit(z[:800], y[:800])
print(json.dumps({'trees': sum(trees, []), 'gb': gb.predict(z[800:]).tolist(), 'imp': gb.feature_importances_.tolist()}))`);
    const y = Float64Array.from({ length: n }, (_, i) => factors[i * k + 1] + 0.5 * factors[i * k + 2]);
    const xTrain = codes.subarray(0, 800 * dim);
    const xTest = codes.subarray(800 * dim);
    [1, 3, 6].forEach((depth, t) => {
      const model = fitGradientBoostingRegressor(xTrain, y.subarray(0, 800), dim, {
        stages: 1,
        learningRate: 1,
        maxDepth: depth,
      });
      const predicted = predictRegression(model, xTest, n - 800);
      const theirs = (ref.trees as number[]).slice(t * (n - 800), (t + 1) * (n - 800));
      // deep nodes hold a few points that several codes split alike: scikit-learn draws one of those
      // tied splits at random, so a few held-out points may take another branch at depth 6
      const differ = Array.from(predicted, (p, i) => Math.abs(p - theirs[i]) > 1e-9).filter(Boolean).length;
      assert.ok(differ <= (depth < 6 ? 0 : 0.03 * (n - 800)), `depth ${depth}: ${differ} predictions differ`);
    });
    const gb = fitGradientBoostingRegressor(xTrain, y.subarray(0, 800), dim);
    const predicted = predictRegression(gb, xTest, n - 800);
    const gaps = Array.from(predicted, (p, i) => Math.abs(p - (ref.gb as number[])[i]));
    // scikit-learn's own predictions move on 6–10 of these 400 points with its random_state (tied splits)
    const differ = gaps.filter((g) => g > 1e-6).length;
    assert.ok(differ <= 12, `boosting: ${differ} of ${gaps.length} predictions differ`);
    gb.importances.forEach((v, f) => {
      close(v, (ref.imp as number[])[f], 1e-3, `importance ${f}`);
    });
  });

  test('DCI-ES explicitness: the same loss-capacity curves as DecisionTreeRegressor', () => {
    const ref = reference(`from sklearn.tree import DecisionTreeRegressor
e = []
for i in range(f.shape[1]):
    y = f[:800, i].astype(float); yt = f[800:, i].astype(float)
    m, s = y.mean(), y.std(); y = (y - m) / s; yt = (yt - m) / s
    base = np.mean(yt ** 2)
    loss = np.minimum.accumulate([np.mean((DecisionTreeRegressor(max_depth=d).fit(z[:800], y).predict(z[800:]) - yt) ** 2) for d in range(1, 4)])
    e.append(1 - np.trapz(loss, dx=1) / (base * 2))
print(json.dumps({'e': e}))`);
    const train = { n: 800, codes: codes.subarray(0, 800 * dim), factors: factors.subarray(0, 800 * k) };
    const test = { n: n - 800, codes: codes.subarray(800 * dim), factors: factors.subarray(800 * k) };
    // depth ≤ 3 here: deeper nodes hold few points, where scikit-learn breaks tied splits at random
    const ours = dciEsFromSamples(train, test, dim, k, 3);
    ours.perFactor.forEach((v, i) => {
      close(v, (ref.e as number[])[i], 1e-9, `explicitness of factor ${i}`);
    });
    assert.equal(ours.size, k / dim);
  });

  test('LogisticRegressionCV (10 Cs, 5 unshuffled folds): the same predictions', () => {
    const ref = reference(`from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import KFold
m = LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5)).fit(z[:300], f[:300, 1])
print(json.dumps({'pred': m.predict(z[300:]).tolist(), 'c': float(m.C_[0])}))`);
    const y = Float64Array.from({ length: 300 }, (_, i) => factors[i * k + 1]);
    const predicted = fitLogisticCv(codes.subarray(0, 300 * dim), y, dim)(codes.subarray(300 * dim), n - 300);
    const differ = predicted.filter((p, i) => p !== (ref.pred as number[])[i]).length;
    // the chosen C is large (~1e3): both fits stop at the lbfgs tolerance short of the optimum
    assert.ok(differ <= 9, `${differ} of ${n - 300} predictions differ (scikit-learn chose C = ${ref.c})`);
  });

  test("balanced, unpenalised logistic regression: scikit-learn's probabilities", () => {
    const ref = reference(`from sklearn.linear_model import LogisticRegression
m = LogisticRegression(penalty=None, class_weight='balanced', tol=1e-10, max_iter=10000).fit(z, f[:, 1])
print(json.dumps({'p': m.predict_proba(z[:40]).ravel().tolist()}))`);
    const model = fitLogistic(
      codes,
      Int32Array.from({ length: n }, (_, i) => factors[i * k + 1]),
      dim,
      {
        penalty: false,
        classWeight: 'balanced',
        tolerance: 1e-10,
        maxIterations: 10_000,
      },
    );
    const p = predictProbabilities(model, codes.subarray(0, 40 * dim), 40);
    const worst = Math.max(...Array.from(p, (v, i) => Math.abs(v - (ref.p as number[])[i])));
    assert.ok(worst < 2e-4, `largest probability difference ${worst}`);
  });
});

describe("UDR against disentanglement_lib's udr_sklearn in numpy/scikit-learn/scipy", {
  skip: hasSklearn ? false : 'python3-sklearn is not installed',
}, () => {
  // three models of the same data: the factors in order, permuted and rescaled, and rotated; one dim of
  // the second model is collapsed (KL below the threshold)
  const m = 400;
  const r = new Rng(9);
  const truth = Float64Array.from({ length: m * 3 }, () => r.normal());
  const model = (f: (t: number[]) => number[]) =>
    Float64Array.from({ length: m * 4 }, (_, i) => {
      const row = Math.floor(i / 4);
      const t = [truth[row * 3], truth[row * 3 + 1], truth[row * 3 + 2]];
      return f(t)[i % 4] + 0.1 * r.normal();
    });
  const models = [
    { codes: model((t) => [t[0], t[1], t[2], 0]), dim: 4, klPerDim: [1, 1, 1, 0.001] },
    { codes: model((t) => [2 * t[2], -t[0], 0, t[1] ** 3]), dim: 4, klPerDim: [1, 1, 0.005, 1] },
    { codes: model((t) => [t[0] + t[1], t[0] - t[1], t[2], 0.3 * t[0]]), dim: 4, klPerDim: [1, 1, 1, 1] },
  ];
  const groups = ['a', 'a', 'a'];

  function dlib(correlation: string): { pairwise: number[][]; scores: number[] } {
    const dir = tempDir('udr');
    models.forEach((mo, i) => {
      writeNpy(join(dir, `z${i}.npy`), { dtype: 'float64', shape: [m, 4], data: mo.codes });
    });
    const script = `import json, numpy as np, scipy.stats
from sklearn import linear_model, preprocessing
kl = ${JSON.stringify(models.map((mo) => mo.klPerDim))}
reps = [np.load('${dir}/z%d.npy' % i) for i in range(3)]
reps = [preprocessing.StandardScaler().fit_transform(z) * np.greater(kl[i], 0.01) for i, z in enumerate(reps)]
mask = [np.array(k) > 0.01 for k in kl]
def strength(c):
    sx = np.nanmean(np.nan_to_num(np.power(np.max(c, axis=0), 2) / np.sum(c, axis=0), 0))
    sy = np.nanmean(np.nan_to_num(np.power(np.max(c, axis=1), 2) / np.sum(c, axis=1), 0))
    return (sx + sy) / 2
d = np.zeros((3, 3))
for i in range(3):
    for j in range(3):
        if i == j: continue
        if '${correlation}' == 'lasso':
            c = np.abs(linear_model.Lasso(alpha=0.1, tol=1e-10, max_iter=100000).fit(reps[i], reps[j]).coef_).T
        else:
            c = np.array([[abs(scipy.stats.spearmanr(reps[i][:, a], reps[j][:, b], nan_policy='omit')[0]) for b in range(4)] for a in range(4)])
        d[i, j] = strength(c[mask[i]][:, mask[j]])
print(json.dumps({'pairwise': d.tolist(), 'scores': [float(np.median(np.delete(d[:, i], i))) for i in range(3)]}))`;
    const out = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    return JSON.parse(out.stdout);
  }

  for (const correlation of ['lasso', 'spearman'] as const) {
    test(`${correlation}: the same pairwise scores and per-model medians`, () => {
      const ref = dlib(correlation);
      const ours = udr(models, m, groups, { correlation });
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          // Lasso stops at tolerance 1e-4 (disentanglement_lib's setting), the reference runs to 1e-10
          if (a !== b)
            close(
              ours.pairwise[a][b]!,
              ref.pairwise[a][b],
              correlation === 'lasso' ? 3e-4 : 1e-9,
              `pair ${a},${b}`,
            );
        }
        close(ours.scores[a]!, ref.scores[a], correlation === 'lasso' ? 3e-4 : 1e-9, `model ${a}`);
      }
    });
  }

  test("Lasso (α = 0.1): scikit-learn's coefficients", () => {
    const dir = tempDir('lasso');
    writeNpy(join(dir, 'x.npy'), { dtype: 'float64', shape: [m, 4], data: models[2].codes });
    writeNpy(join(dir, 'y.npy'), { dtype: 'float64', shape: [m, 4], data: models[1].codes });
    const out = spawnSync(
      python,
      [
        '-c',
        `import json, numpy as np
from sklearn.linear_model import Lasso
x = np.load('${dir}/x.npy'); y = np.load('${dir}/y.npy')
print(json.dumps(Lasso(alpha=0.1, tol=1e-10, max_iter=100000).fit(x, y[:, 0]).coef_.tolist()))`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(out.status, 0, out.stderr);
    const theirs = JSON.parse(out.stdout) as number[];
    const y = Float64Array.from({ length: m }, (_, i) => models[1].codes[i * 4]);
    const { weights } = fitLasso(models[2].codes, y, 4, {
      alpha: 0.1,
      tolerance: 1e-10,
      maxIterations: 100_000,
    });
    weights.forEach((w, f) => {
      close(w, theirs[f], 1e-8, `coefficient ${f}`);
    });
  });
});

describe('newer metrics: hand-computed values and sanity bounds', () => {
  test('digamma and the nearest-neighbour MI of two separated classes', () => {
    close(digamma(1), -0.5772156649015329, 1e-12, 'ψ(1)');
    close(digamma(10.5), 2.3030010342976865, 1e-12, 'ψ(10.5)');
    // 20 points per class, classes far apart: every ball holds its own class only, I = ψ(40) − ψ(20) … = ln 2
    const x = Float64Array.from({ length: 40 }, (_, i) => (i < 20 ? i : 1000 + i));
    const labels = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
    close(knnMutualInformation(x, labels, 3), digamma(40) - digamma(20), 1e-12, 'separated classes');
  });

  test('InfoM and InfoC of hand-made NMI matrices', () => {
    assert.deepEqual(
      infoMcOf([
        [1, 0],
        [0, 1],
      ]),
      { infoM: 1, infoC: 1 },
    );
    // one dim holding both factors equally: modularity 0, each factor is in one dim of two
    const mixed = infoMcOf([
      [0.5, 0],
      [0.5, 0],
    ]);
    close(mixed.infoM, (0.5 - 0.5) / 0.5 / 2 + 0, 1e-12, 'InfoM'); // dims: (1/2 − 1/2)/(1/2) = 0 and chance 0
    close(mixed.infoC, 1, 1e-12, 'InfoC');
  });

  test('UDR relative strength of hand-made matrices; models alone in their group score null', () => {
    close(
      relativeStrength([
        [1, 0],
        [0, 1],
      ]),
      1,
      0,
      'a permutation',
    );
    // one dim spread over two: columns 0.5²/0.5 = 0.5 each; rows 0.5²/1 = 0.25 and 0 (0/0 counts 0)
    close(
      relativeStrength([
        [0.5, 0.5],
        [0, 0],
      ]),
      (0.5 + 0.125) / 2,
      1e-12,
      'a split row',
    );
    const one = { codes: new Float64Array(20).map((_, i) => i), dim: 2, klPerDim: [1, 1] };
    assert.deepEqual(udr([one, one], 10, ['a', 'b']).scores, [null, null]);
  });

  test('unfairness: total variation by hand; 0 for the identity code, above 0 when a dim mixes two factors', () => {
    // predictions [0, 1] by sensitive value: value 0 → 3 and 1, value 1 → 1 and 3; overall ½, ½; TV ¼ each
    const tv = interGroupFairness([
      [3, 1],
      [1, 3],
    ]);
    close(tv.mean, 0.25, 1e-12, 'mean');
    close(tv.max, 0.25, 1e-12, 'max');
    const data = identityData(2, 4);
    const options = { numTrain: 400, numTestPointsPerClass: 40, stages: 10 };
    const fair = fairness(groundTruthSource(data, identity(2), 'mean'), metricRng(0, 'f'), options);
    close(fair.meanFairness, 0, 0, 'identity');
    // one dim holding both factors: what the classifier predicts for f0 moves with f1
    const mixed = encoderOf(1, (x, m) => Float32Array.from({ length: m }, (_, i) => x[i * 2] + x[i * 2 + 1]));
    const unfair = fairness(groundTruthSource(data, mixed, 'mean'), metricRng(0, 'f'), options);
    assert.ok(unfair.meanFairness > 0.05, `mixed: ${unfair.meanFairness}`);
  });

  test('downstream accuracy: perfect for the identity code at every size, chance-like for noise', () => {
    const data = identityData(3, 4);
    const ident = downstream(groundTruthSource(data, identity(3), 'mean'), metricRng(0, 'd'), {
      maxTrain: 100,
      numTest: 200,
    });
    assert.deepEqual(
      ident.sizes.map((s) => s.numTrain),
      [10, 100],
    );
    close(ident.testAccuracy, 1, 0, 'identity at 100 points');
    // codes unrelated to the factors (a pool: a model's codes are cached per factor combination)
    const r = new Rng(2);
    const pool = poolSource(
      Float64Array.from({ length: 3000 }, () => r.normal()),
      Int32Array.from({ length: 3000 }, () => r.int(4)),
      1000,
      3,
    );
    const random = downstream(pool, metricRng(0, 'd'), {
      maxTrain: 100,
      numTest: 200,
      predictor: 1,
    });
    assert.ok(random.testAccuracy < 0.45, `noise: ${random.testAccuracy}`);
  });

  test('the area under a loss-capacity curve', () => {
    // losses 0.5, 0.25, 0.75 (→ 0.25 by the running minimum): area 0.375 + 0.25 over baseline 1 × 2
    close(explicitnessOfCurve([0.5, 0.25, 0.75], 1), 1 - 0.625 / 2, 1e-12, 'E');
  });

  test('Z-max-var: 1 for the identity code, about 0 for noise; a pool with no shared factors is refused', () => {
    const data = identityData(4, 6);
    const ident = zMaxVar(groundTruthSource(data, identity(4), 'mean'), metricRng(0, 'z'), {
      numVarianceEstimate: 2000,
    });
    close(ident.zMaxVar, 1, 0, 'identity');
    const random = zMaxVar(groundTruthSource(data, noise(4), 'mean'), metricRng(0, 'z'), {
      numVarianceEstimate: 2000,
    });
    assert.ok(random.zMaxVar < 0.15, `noise: ${random.zMaxVar}`);
    const unique = Int32Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? i >> 1 : (i >> 1) % 7));
    const pool = poolSource(
      Float64Array.from({ length: 200 }, () => Math.random()),
      unique,
      100,
      2,
    );
    assert.throws(() => zMaxVar(pool, metricRng(0, 'z')), /no two points share all the other factors/);
  });
});
