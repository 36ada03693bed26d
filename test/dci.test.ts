import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { groundTruthSource } from '../src/metrics/code-source.ts';
import { dci, dciFromImportance, dciFromSamples } from '../src/metrics/dci.ts';
import {
  decisionFunction,
  featureImportances,
  fitGradientBoosting,
  predictGradientBoosting,
} from '../src/metrics/gradient-boosting.ts';
import { tempDir } from './helpers/cli.ts';
import { encoderOf, identityData } from './helpers/identity-data.ts';

// DCI and the gradient-boosted trees under it. The diagonal/shared/uniform importance matrices and the
// duplicated-codes case are in metrics.test.ts; scikit-learn's trees on 3 features in metrics-sklearn.test.ts.

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual}, expected ${expected}`);

describe('gradient-boosted trees on hand-checkable data', () => {
  test('one stump on separable binary data: threshold at the midpoint, Newton leaves ±2, all importance', () => {
    // rows [x0, x1]: x0 separates the classes, x1 is constant
    const x = Float64Array.from([0, 5, 1, 5, 2, 5, 3, 5, 4, 5, 5, 5]);
    const y = [0, 0, 0, 1, 1, 1];
    const model = fitGradientBoosting(x, y, 2, { stages: 1 });
    // prior 1/2: init log-odds 0, residuals ∓1/2, p(1 − p) = 1/4 → leaves Σr / Σp(1−p) = ±1.5 / 0.75
    assert.deepEqual(Array.from(model.init), [0]);
    const [tree] = model.trees[0];
    assert.equal(tree.feature[0], 0);
    assert.equal(tree.threshold[0], 2.5);
    // pure children have zero impurity and stay leaves although depth 3 is allowed
    assert.deepEqual(Array.from(tree.feature).slice(0, 3), [0, -1, -1]);
    assert.equal(tree.value[tree.left[0]], -2);
    assert.equal(tree.value[tree.right[0]], 2);
    assert.deepEqual(Array.from(featureImportances(model)), [1, 0]);
    assert.deepEqual(Array.from(decisionFunction(model, x, 6)), [-0.2, -0.2, -0.2, 0.2, 0.2, 0.2]);
    assert.deepEqual(Array.from(predictGradientBoosting(model, x, 6)), y);
  });

  test('multinomial start from the class priors; no stages predicts the majority, in the original labels', () => {
    const y = [7, 3, 9, 9, 9, 9, 9, 3];
    const x = Float64Array.from(y, (_, i) => i);
    const model = fitGradientBoosting(x, y, 1, { stages: 0 });
    assert.deepEqual(model.classes, [3, 7, 9]);
    assert.deepEqual(Array.from(model.init), [Math.log(2 / 8), Math.log(1 / 8), Math.log(5 / 8)]);
    assert.deepEqual(Array.from(predictGradientBoosting(model, x, 8)), Array(8).fill(9));
    assert.deepEqual(Array.from(featureImportances(model)), [0]);
    // two classes: one output, the log-odds of the larger label
    const binary = fitGradientBoosting(x, [1, 1, 1, 4, 1, 1, 1, 1], 1, { stages: 0 });
    close(binary.init[0], Math.log(1 / 7), 1e-15, 'binary init');
    // one class: no trees, that class everywhere
    const single = fitGradientBoosting(x, Array(8).fill(5), 1);
    assert.equal(single.trees.length, 0);
    assert.deepEqual(Array.from(predictGradientBoosting(single, x, 8)), Array(8).fill(5));
    assert.throws(() => fitGradientBoosting(x, y, 2), /x has 8 values, expected 8 rows × 2 features/);
  });

  test('one multinomial stage by hand: K trees on y_k − p_k, leaves (K−1)/K · Σr / Σp(1−p)', () => {
    // three points, one per class, at x = 0, 1, 2; p_k = 1/3 everywhere at the start
    const x = Float64Array.from([0, 1, 2]);
    const model = fitGradientBoosting(x, [0, 1, 2], 1, { stages: 1, maxDepth: 1 });
    const [t0, t1, t2] = model.trees[0];
    // class 0, r = [2/3, −1/3, −1/3]: proxy (n_r Σ_l − n_l Σ_r)² / (n_l n_r) is 2 at 0.5 against 1/2 at 1.5
    assert.equal(t0.threshold[0], 0.5);
    close(t0.value[t0.left[0]], (2 / 3) * (2 / 3 / (2 / 9)), 1e-12, 'class 0, left leaf');
    close(t0.value[t0.right[0]], (2 / 3) * (-2 / 3 / (4 / 9)), 1e-12, 'class 0, right leaf');
    // class 2 mirrors class 0; class 1, r = [−1/3, 2/3, −1/3], ties at 0.5 and 1.5: the first threshold wins
    assert.equal(t2.threshold[0], 1.5);
    assert.equal(t1.threshold[0], 0.5);
    close(t1.value[t1.left[0]], (2 / 3) * (-1 / 3 / (2 / 9)), 1e-12, 'class 1, left leaf');
    // each point's raw score rises for its own class
    assert.deepEqual(Array.from(predictGradientBoosting(model, x, 3)), [0, 1, 2]);
  });

  test('identical and sign-flipped copies of a code share its importance equally', () => {
    const rng = new Rng(5);
    const n = 200;
    const y = Int32Array.from({ length: n }, () => rng.int(3));
    // [a, a, −a, noise] with a informative: every split on a is tied three ways
    const x = new Float64Array(n * 4);
    for (let i = 0; i < n; i++) {
      const a = y[i] + rng.normal();
      [x[i * 4], x[i * 4 + 1], x[i * 4 + 2], x[i * 4 + 3]] = [a, a, -a, rng.normal()];
    }
    const importances = featureImportances(fitGradientBoosting(x, y, 4, { stages: 10 }));
    close(importances[1], importances[0], 1e-12, 'the copy');
    close(importances[2], importances[0], 1e-12, 'the sign-flipped copy');
    assert.ok(importances[0] > 0.25, `importances ${Array.from(importances)}`);
    close(
      importances.reduce((a, b) => a + b, 0),
      1,
      1e-12,
      'importances sum',
    );
  });

  test('the order of the features does not matter: importances and training predictions follow them', () => {
    const rng = new Rng(9);
    const [n, d] = [80, 4];
    const y = Int32Array.from({ length: n }, () => rng.int(4));
    // few points, so many small nodes where different features tie (first-feature-wins moves ~0.008 here)
    const x = Float64Array.from(
      { length: n * d },
      (_, i) => (y[Math.floor(i / d)] * (i % d)) / 3 + rng.normal(),
    );
    const order = [2, 0, 3, 1];
    const permuted = x.map((_, i) => x[i - (i % d) + order[i % d]]);
    const a = fitGradientBoosting(x, y, d, { stages: 10 });
    const b = fitGradientBoosting(permuted, y, d, { stages: 10 });
    order.forEach((from, to) => {
      close(featureImportances(b)[to], featureImportances(a)[from], 1e-12, `importance of feature ${from}`);
    });
    assert.deepEqual(predictGradientBoosting(b, permuted, n), predictGradientBoosting(a, x, n));
  });
});

/**
 * A straightforward gradient-boosting classifier written from Friedman (2001) and scikit-learn's
 * documentation, independently of gradient-boosting.ts: recursive trees, every candidate split evaluated
 * from the means of its two sides, two-pass variances, row sets as sets. Tie rule (gradient-boosting.ts's
 * documented one): each feature's best split is its first within 1e-12 of its best; the features whose
 * best is within 1e-12 of the node's share its gain; the tree takes the partition most of them make, then
 * the one whose side holding the node's lowest row is first in lexicographic order of row indicators.
 * `ambiguous` counts the nodes where tied features part the rows differently.
 */
function referenceBoosting(x: number[][], y: number[], stages: number, maxDepth = 3, rate = 0.1) {
  const n = y.length;
  const features = x[0].length;
  const xs = x.map((row) => row.map(Math.fround));
  const classes = [...new Set(y)].sort((a, b) => a - b);
  const k = classes.length;
  const outputs = k === 2 ? 1 : k;
  const prior = classes.map((c) => y.filter((v) => v === c).length / n);
  const init = k === 2 ? [Math.log(prior[1] / prior[0])] : prior.map(Math.log);
  const raw = y.map(() => [...init]);
  type Node = { leaf: true; value: number } | { leaf: false; f: number; t: number; l: Node; r: Node };
  const trees: Node[][] = [];
  const importance = new Array(features).fill(0);
  let ambiguous = 0;
  const mean = (rows: number[], r: number[]) => rows.reduce((s, i) => s + r[i], 0) / rows.length;
  const nVar = (rows: number[], r: number[]) => {
    const m = mean(rows, r);
    return rows.reduce((s, i) => s + (r[i] - m) ** 2, 0);
  };
  const walk = (node: Node, row: number[]): number =>
    node.leaf ? node.value : walk(Math.fround(row[node.f]) <= node.t ? node.l : node.r, row);

  for (let stage = 0; stage < stages; stage++) {
    const p = raw.map((scores) => {
      if (k === 2) return [1 / (1 + Math.exp(-scores[0]))];
      const top = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - top));
      const z = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / z);
    });
    const stageTrees: Node[] = [];
    for (let j = 0; j < outputs; j++) {
      const target = classes[k === 2 ? 1 : j];
      const r = y.map((v, i) => (v === target ? 1 : 0) - p[i][j]);
      const gains = new Array(features).fill(0);
      const build = (rows: number[], depth: number): Node => {
        const leaf = (): Node => {
          const num = rows.reduce((s, i) => s + r[i], 0) * (k === 2 ? 1 : (k - 1) / k);
          const den = rows.reduce((s, i) => s + p[i][j] * (1 - p[i][j]), 0);
          return { leaf: true, value: Math.abs(den) < 1e-150 ? 0 : num / den };
        };
        if (depth === maxDepth || rows.length < 2 || nVar(rows, r) / rows.length <= 2 ** -52) return leaf();
        // each feature's best split
        const best: { improvement: number; f: number; t: number; left: Set<number> }[] = [];
        for (let f = 0; f < features; f++) {
          const sorted = [...rows].sort((a, b) => xs[a][f] - xs[b][f] || a - b);
          const candidates = [];
          for (let s = 1; s < sorted.length; s++) {
            const [lo, hi] = [xs[sorted[s - 1]][f], xs[sorted[s]][f]];
            if (!(hi > lo + 1e-7)) continue;
            const left = sorted.slice(0, s);
            const right = sorted.slice(s);
            const improvement =
              ((left.length * right.length) / rows.length) * (mean(left, r) - mean(right, r)) ** 2;
            candidates.push({ improvement, f, t: lo / 2 + hi / 2, left: new Set(left) });
          }
          if (candidates.length === 0) continue;
          const top = Math.max(...candidates.map((c) => c.improvement));
          best.push(candidates.find((c) => c.improvement >= top * (1 - 1e-12))!);
        }
        if (best.length === 0) return leaf();
        const top = Math.max(...best.map((c) => c.improvement));
        const tied = best.filter((c) => c.improvement >= top * (1 - 1e-12));
        // group the tied features by the side of their partition that holds the node's lowest row
        const sortedRows = [...rows].sort((a, b) => a - b);
        const indicator = (c: (typeof tied)[number]) =>
          sortedRows.map((i) => (c.left.has(i) === c.left.has(sortedRows[0]) ? '1' : '0')).join('');
        const groups = new Map<string, typeof tied>();
        for (const c of tied) groups.set(indicator(c), [...(groups.get(indicator(c)) ?? []), c]);
        if (groups.size > 1) ambiguous++;
        const [, chosen] = [...groups].sort(
          ([ka, a], [kb, b]) => b.length - a.length || (ka > kb ? -1 : 1),
        )[0];
        const split = chosen[0];
        const inLeft = [...rows].filter((i) => split.left.has(i));
        const right = rows.filter((i) => !split.left.has(i));
        const gain = (nVar(rows, r) - nVar(inLeft, r) - nVar(right, r)) / n;
        for (const c of tied) gains[c.f] += gain / tied.length;
        return {
          leaf: false,
          f: split.f,
          t: split.t,
          l: build(inLeft, depth + 1),
          r: build(right, depth + 1),
        };
      };
      const tree = build(
        y.map((_, i) => i),
        0,
      );
      if (!tree.leaf) for (let f = 0; f < features; f++) importance[f] += gains[f];
      stageTrees.push(tree);
    }
    trees.push(stageTrees);
    raw.forEach((scores, i) => {
      stageTrees.forEach((tree, j) => {
        scores[j] += rate * walk(tree, x[i]);
      });
    });
  }
  const total = importance.reduce((a, b) => a + b, 0);
  const decision = (row: number[]) =>
    init.map((v, j) => v + trees.reduce((s, st) => s + rate * walk(st[j], row), 0));
  return { importances: importance.map((v) => v / total), decision, ambiguous };
}

describe('gradient-boosted trees against a straightforward implementation', () => {
  for (const [name, numClasses] of [
    ['4 classes (multinomial)', 4],
    ['2 classes (binomial)', 2],
  ] as const) {
    test(`${name}: the same importances and decision function on train and held-out points`, () => {
      const rng = new Rng(11);
      const n = 90;
      const nTest = 40;
      const y = Array.from({ length: n + nTest }, () => rng.int(numClasses));
      const rows = y.map((label) => [label + rng.normal(), (label % 2) + 2 * rng.normal(), rng.normal()]);
      const x = Float64Array.from(rows.flat());
      const model = fitGradientBoosting(x.subarray(0, n * 3), y.slice(0, n), 3, { stages: 8 });
      const reference = referenceBoosting(rows.slice(0, n), y.slice(0, n), 8);
      // small nodes where different features part the rows differently but equally well: the tie rule at work
      assert.ok(reference.ambiguous > 0, 'the data exercises the tie rule');
      featureImportances(model).forEach((v, f) => {
        close(v, reference.importances[f], 1e-9, `importance ${f}`);
      });
      const outputs = model.init.length;
      const ours = decisionFunction(model, x, n + nTest);
      let worst = 0;
      rows.forEach((row, i) => {
        reference.decision(row).forEach((v, j) => {
          worst = Math.max(worst, Math.abs(v - ours[i * outputs + j]));
        });
      });
      assert.ok(worst < 1e-9, `largest decision-function difference ${worst}`);
      // predict picks the arg max of those scores
      const predicted = predictGradientBoosting(model, x, n + nTest);
      rows.forEach((row, i) => {
        const d = reference.decision(row);
        const expected = outputs === 1 ? (d[0] > 0 ? 1 : 0) : d.indexOf(Math.max(...d));
        assert.equal(predicted[i], expected, `prediction ${i}`);
      });
    });
  }
});

describe('DCI from importance matrices', () => {
  test('rectangular R weights codes and factors by their share of the importance', () => {
    // 3 codes × 2 factors: code 0 on factor 0 alone, code 1 on both, code 2 on nothing
    const r = dciFromImportance([
      [1, 0],
      [1, 1],
      [0, 0],
    ]);
    // D = 1/3 · 1 + 2/3 · (1 − H_2(½, ½)) + 0 · …
    close(r.disentanglement, 1 / 3, 1e-8, 'D');
    // C: factor 0 spread over 2 of 3 codes (share 2/3), factor 1 on one code (share 1/3)
    close(r.completeness, (2 / 3) * (1 - Math.log(2) / Math.log(3)) + 1 / 3, 1e-8, 'C');
  });

  test('no importance at all (constant codes) scores 0, not NaN', () => {
    const r = dciFromImportance([
      [0, 0, 0],
      [0, 0, 0],
    ]);
    close(r.disentanglement, 0, 1e-8, 'D');
    close(r.completeness, 0, 1e-8, 'C');
  });
});

describe('DCI on representations of a 10-factor dataset', () => {
  const data = identityData();
  const options = { numTrain: 1000, numTest: 500, stages: 10 };

  test('codes = factors + tiny noise: D, C and informativeness ~1', () => {
    const jitter = new Rng(4);
    const encoder = encoderOf(10, (x) => Float32Array.from(x, (v) => v + 0.01 * jitter.normal()));
    const r = dci(groundTruthSource(data, encoder, 'mean', { cache: null }), new Rng(3), options);
    assert.ok(r.disentanglement > 0.95, `D = ${r.disentanglement}`);
    assert.ok(r.completeness > 0.95, `C = ${r.completeness}`);
    close(r.informativenessTrain, 1, 1e-12, 'train accuracy');
    close(r.informativenessTest, 1, 1e-12, 'test accuracy');
    for (let i = 0; i < 10; i++) {
      const row = r.importance[i];
      assert.equal(row.indexOf(Math.max(...row)), i, `code ${i} is most important for factor ${i}`);
    }
  });

  test('noise codes: low D and C, held-out accuracy at chance (0.1) while the trees fit the train set', () => {
    const noise = new Rng(8);
    const encoder = encoderOf(10, (_, n) => noise.fillNormal(new Float32Array(n * 10)));
    const r = dci(groundTruthSource(data, encoder, 'mean', { cache: null }), new Rng(3), options);
    assert.ok(r.disentanglement < 0.15, `D = ${r.disentanglement}`);
    assert.ok(r.completeness < 0.15, `C = ${r.completeness}`);
    assert.ok(Math.abs(r.informativenessTest - 0.1) < 0.03, `test accuracy ${r.informativenessTest}`);
    assert.ok(r.informativenessTrain > 0.3, `train accuracy ${r.informativenessTrain}`);
  });
});

// disentanglement_lib's compute_dci with scikit-learn's GradientBoostingClassifier, on the same points
// (Debian's python3-sklearn; skipped when it is absent).
const python = '/usr/bin/python3';
const hasSklearn = spawnSync(python, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' }).status === 0;

describe('DCI against disentanglement_lib with scikit-learn', {
  skip: hasSklearn ? false : 'python3-sklearn is not installed',
}, () => {
  test('importance matrix, D, C and accuracies within the spread of its random states', () => {
    const rng = new Rng(17);
    const [nTrain, nTest, dim, sizes] = [400, 200, 4, [2, 2, 5]];
    const total = nTrain + nTest;
    const factors = Int32Array.from({ length: total * sizes.length }, (_, i) => rng.int(sizes[i % 3]));
    // code d reads factor d (code 3 reads factors 0 and 1 together), plus noise
    const codes = Float64Array.from({ length: total * dim }, (_, i) => {
      const [row, d] = [Math.floor(i / dim), i % dim];
      const f = factors.subarray(row * 3, row * 3 + 3);
      return (d < 3 ? f[d] : f[0] + f[1]) + 0.7 * rng.normal();
    });
    const dir = tempDir('dci-sklearn');
    writeNpy(join(dir, 'codes.npy'), { dtype: 'float64', shape: [total, dim], data: codes });
    writeNpy(join(dir, 'factors.npy'), { dtype: 'int32', shape: [total, 3], data: factors });
    const stages = 20;
    const script = `import json, numpy as np, scipy.stats
from sklearn.ensemble import GradientBoostingClassifier
x = np.load('${dir}/codes.npy'); y = np.load('${dir}/factors.npy')
xtr, ytr, xte, yte = x[:${nTrain}], y[:${nTrain}], x[${nTrain}:], y[${nTrain}:]
out = {}
for seed in range(16):
    imp = np.zeros((${dim}, 3)); tr = []; te = []
    for i in range(3):
        m = GradientBoostingClassifier(n_estimators=${stages}, random_state=seed).fit(xtr, ytr[:, i])
        imp[:, i] = np.abs(m.feature_importances_)
        tr.append(np.mean(m.predict(xtr) == ytr[:, i])); te.append(np.mean(m.predict(xte) == yte[:, i]))
    d = 1 - scipy.stats.entropy(imp.T + 1e-11, base=imp.shape[1])
    c = 1 - scipy.stats.entropy(imp + 1e-11, base=imp.shape[0])
    out[seed] = {'imp': imp.tolist(), 'tr': np.mean(tr), 'te': np.mean(te),
                 'd': float(np.sum(d * imp.sum(axis=1) / imp.sum())), 'c': float(np.sum(c * imp.sum(axis=0) / imp.sum()))}
print(json.dumps(out))`;
    const run = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const refs = Object.values(JSON.parse(run.stdout)) as {
      imp: number[][];
      tr: number;
      te: number;
      d: number;
      c: number;
    }[];
    const ours = dciFromSamples(
      { n: nTrain, codes: codes.subarray(0, nTrain * dim), factors: factors.subarray(0, nTrain * 3) },
      { n: nTest, codes: codes.subarray(nTrain * dim), factors: factors.subarray(nTrain * 3) },
      dim,
      3,
      { stages },
    );
    // scikit-learn draws the feature of tied splits at random (disentanglement_lib sets no random_state);
    // ours shares them: every number must fall within the range of its 16 random states (first-feature-wins
    // falls outside it on R[0][2] and R[2][2] here)
    const within = (value: number, values: number[], what: string) => {
      const [low, high] = [Math.min(...values), Math.max(...values)];
      const margin = (high - low) / 4 + 1e-9;
      assert.ok(
        value >= low - margin && value <= high + margin,
        `${what}: ${value} outside [${low}, ${high}]`,
      );
    };
    for (let d = 0; d < dim; d++) {
      for (let f = 0; f < 3; f++) {
        within(
          ours.importance[d][f],
          refs.map((ref) => ref.imp[d][f]),
          `R[${d}][${f}]`,
        );
      }
    }
    within(
      ours.disentanglement,
      refs.map((ref) => ref.d),
      'D',
    );
    within(
      ours.completeness,
      refs.map((ref) => ref.c),
      'C',
    );
    within(
      ours.informativenessTrain,
      refs.map((ref) => ref.tr),
      'train accuracy',
    );
    within(
      ours.informativenessTest,
      refs.map((ref) => ref.te),
      'test accuracy',
    );
  });

  test('where no split ties (2 classes, large nodes): the same importances and decision function', () => {
    const rng = new Rng(23);
    const [n, d] = [2000, 3];
    const y = Int32Array.from({ length: n }, () => rng.int(2));
    const x = Float64Array.from(
      { length: n * d },
      (_, i) => (i % d === 2 ? 0 : y[Math.floor(i / d)]) + rng.normal(),
    );
    const dir = tempDir('gbt-sklearn');
    writeNpy(join(dir, 'x.npy'), { dtype: 'float64', shape: [n, d], data: x });
    writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [n], data: y });
    const script = `import json, numpy as np
from sklearn.ensemble import GradientBoostingClassifier
x = np.load('${dir}/x.npy'); y = np.load('${dir}/y.npy')
fits = [GradientBoostingClassifier(n_estimators=5, random_state=seed).fit(x, y) for seed in range(3)]
print(json.dumps({'imp': [m.feature_importances_.tolist() for m in fits], 'raw': fits[0].decision_function(x).tolist()}))`;
    const run = spawnSync(python, ['-c', script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const ref = JSON.parse(run.stdout) as { imp: number[][]; raw: number[] };
    // no ties: scikit-learn itself does not depend on its random_state here
    for (const imp of ref.imp) {
      for (let f = 0; f < d; f++) close(imp[f], ref.imp[0][f], 1e-12, `scikit-learn importance ${f}`);
    }
    const model = fitGradientBoosting(x, y, d, { stages: 5 });
    featureImportances(model).forEach((v, f) => {
      close(v, ref.imp[0][f], 1e-9, `importance ${f}`);
    });
    const raw = decisionFunction(model, x, n);
    const worst = Math.max(...Array.from(raw, (v, i) => Math.abs(v - ref.raw[i])));
    assert.ok(worst < 1e-9, `largest decision-function difference ${worst}`);
  });
});
