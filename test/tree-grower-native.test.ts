import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/engine/rng.ts';
import { decisionFunction, fitGradientBoosting } from '../src/metrics/gradient-boosting.ts';
import { treeKernels } from '../src/metrics/native-metrics.ts';
import { TreeGrower } from '../src/metrics/tree-grower.ts';
import { gradientBoostingRun } from './helpers/gradient-boosting-run.ts';

const kernels = treeKernels();

/** Everything a grown tree gives its caller, leaves keyed by node with their rows in order. */
function grown(g: TreeGrower, r: Float64Array): string {
  const t = g.grow(r);
  const leaves: string[] = [];
  for (let l = 0; l < g.leafCount; l++) {
    leaves.push(`${g.leafNode[l]}:${g.leafRows.subarray(g.leafStart[l], g.leafEnd[l]).join()}`);
  }
  const arrays = [t.feature, t.threshold, t.left, t.right, g.importance].map((a) => Array.from(a));
  return JSON.stringify({ arrays, leaves: leaves.sort() });
}

describe('the native tree loops', () => {
  it('grow the very trees of the JS loops: ties, near-ties within 1e-7, tiny and constant nodes', {
    skip: kernels ? false : 'the native addon does not load here',
  }, () => {
    const rng = new Rng(5);
    let trees = 0;
    for (const n of [2, 7, 60, 700]) {
      for (const kind of ['normal', 'rounded', 'mirrored', 'near-equal']) {
        const F = 4;
        const x = new Float64Array(n * F);
        for (let i = 0; i < n; i++) {
          const a = rng.normal();
          for (let f = 0; f < F; f++) {
            x[i * F + f] =
              kind === 'rounded'
                ? Math.round(rng.normal() * 2)
                : kind === 'mirrored'
                  ? f % 2
                    ? -a
                    : a
                  : kind === 'near-equal' && f > 0
                    ? 1e-8 * rng.int(3)
                    : rng.normal();
          }
        }
        for (const depth of [1, 3, 5]) {
          const js = new TreeGrower(x, n, F, depth, null);
          const native = new TreeGrower(x, n, F, depth, kernels);
          for (let t = 0; t < 3; t++) {
            const r = Float64Array.from({ length: n }, (_, i) =>
              t === 2 ? 1 : (x[i * F] > 0 ? 1 : 0) + (t === 1 ? 0 : rng.normal()),
            );
            assert.equal(grown(native, r), grown(js, r), `n ${n}, ${kind}, depth ${depth}, target ${t}`);
            trees++;
          }
        }
      }
    }
    assert.equal(trees, 4 * 4 * 3 * 3);
  });

  it('refuse a row index out of range instead of reading past the arrays', {
    skip: kernels ? false : 'the native addon does not load here',
  }, () => {
    const rows = Int32Array.of(0, 5);
    const values = Float32Array.of(0, 1);
    const out = new Float64Array(1);
    assert.throws(
      () => kernels!.treeScan(values, rows, new Float64Array(2), 2, 1, 0, 2, 0, out, new Int32Array(1), out),
      /row index is out of range/,
    );
  });

  it('predict the raw scores of a plain walk down the trees', {
    skip: kernels ? false : 'the native addon does not load here',
  }, () => {
    const rng = new Rng(8);
    const n = 300;
    const x = Float64Array.from({ length: n * 3 }, () => rng.normal());
    const labels = Array.from({ length: n }, (_, i) => (x[i * 3] > 0.3 ? 2 : x[i * 3 + 1] > 0 ? 1 : 0));
    const model = fitGradientBoosting(x, labels, 3, { stages: 5 });
    const got = decisionFunction(model, x, n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < 3; j++) {
        let score = model.init[j];
        for (const stage of model.trees) {
          const t = stage[j];
          let node = 0;
          while (t.feature[node] >= 0) {
            node =
              Math.fround(x[i * 3 + t.feature[node]]) <= t.threshold[node] ? t.left[node] : t.right[node];
          }
          score += model.learningRate * t.value[node];
        }
        assert.equal(got[i * 3 + j], score, `row ${i}, class ${j}`);
      }
    }
  });

  it('fit and predict as the JS loops do in a process without the addon (UNTANGLE_NATIVE=0)', {
    skip: kernels ? false : 'the native addon does not load here',
  }, () => {
    const script = fileURLToPath(new URL('./helpers/gradient-boosting-run.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      env: { ...process.env, UNTANGLE_NATIVE: '0' },
    });
    assert.equal(child.status, 0, child.stderr);
    const js = JSON.parse(child.stdout) as { native: boolean; run: string };
    assert.equal(js.native, false, 'the child loaded the addon');
    assert.equal(gradientBoostingRun(), js.run);
  });
});
