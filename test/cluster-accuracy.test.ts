import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { hungarian } from '../src/math/hungarian.ts';
import { clusterAccuracy } from '../src/metrics/cluster-accuracy.ts';

/** Every permutation of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

describe('cluster accuracy', () => {
  test('the Hungarian matching is the cheapest of all permutations (brute force)', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + rng.int(6);
      const cost = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.int(20)));
      const total = (p: number[]) => p.reduce((s, c, r) => s + cost[r][c], 0);
      const best = Math.min(...permutations(n).map(total));
      assert.equal(total(hungarian(cost)), best, JSON.stringify(cost));
    }
  });

  test('relabelled clusters score 1; one wrong point costs 1/n', () => {
    const classes = [0, 0, 1, 1, 2, 2, 2];
    const clusters = classes.map((c) => (c + 1) % 3);
    assert.equal(clusterAccuracy(clusters, classes, 3, 3).accuracy, 1);
    clusters[0] = 0;
    const result = clusterAccuracy(clusters, classes, 3, 3);
    assert.equal(result.accuracy, 6 / 7);
    assert.deepEqual(result.classOfCluster, [2, 0, 1]);
  });

  test('one cluster for everything scores the largest class share; extra clusters count as errors', () => {
    const classes = [0, 1, 1, 2, 2, 2];
    assert.equal(clusterAccuracy([0, 0, 0, 0, 0, 0], classes, 1, 3).accuracy, 3 / 6);
    // 4 clusters for 3 classes: the best three match, the fourth's points are wrong
    assert.equal(clusterAccuracy([0, 1, 1, 2, 2, 3], classes, 4, 3).accuracy, 5 / 6);
  });
});
