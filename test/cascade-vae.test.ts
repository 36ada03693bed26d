import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { discreteAccuracy } from '../src/metrics/evaluate-run.ts';
import { assignCategories, cascadeBetas, cascadeVaeOptions } from '../src/models/cascade-vae.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { buildSession } from '../src/train/session.ts';
import { train } from '../src/train/trainer.ts';
import { tempDir } from './helpers/cli.ts';

/** Every assignment of n examples to k categories with at most ⌈n/k⌉ each: the cheapest cost. */
function bruteForce(cost: number[][], penalty: number): number {
  const n = cost.length;
  const k = cost[0].length;
  const slots = Math.ceil(n / k);
  let best = Number.POSITIVE_INFINITY;
  const walk = (i: number, counts: number[], total: number) => {
    if (i === n) {
      best = Math.min(best, total);
      return;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === slots) continue;
      counts[c]++;
      walk(i + 1, counts, total + cost[i][c] + penalty * (counts[c] - 1));
      counts[c]--;
    }
  };
  walk(0, new Array(k).fill(0), 0);
  return best;
}

describe('CascadeVAE', () => {
  before(() => useBackend('wasm'));

  it('relieves one dim from β_h to β_l every relieveEvery steps', () => {
    const o = cascadeVaeOptions.parse({ relieveEvery: 100 });
    assert.deepEqual(cascadeBetas(0, 4, o), [10, 10, 10, 10]);
    assert.deepEqual(cascadeBetas(99, 4, o), [10, 10, 10, 10]);
    assert.deepEqual(cascadeBetas(250, 4, o), [2, 2, 10, 10]);
    assert.deepEqual(cascadeBetas(10_000, 4, o), [2, 2, 2, 2]);
  });

  it('the balanced assignment is the cheapest one (brute force over every assignment)', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 25; trial++) {
      const n = 2 + rng.int(6);
      const k = 2 + rng.int(2);
      const cost = Array.from({ length: n }, () => Array.from({ length: k }, () => rng.int(10)));
      const penalty = trial % 2 === 0 ? 0 : 0.5;
      const categories = assignCategories(cost, penalty);
      const counts = new Array(k).fill(0);
      let total = 0;
      for (let i = 0; i < n; i++) total += cost[i][categories[i]] + penalty * counts[categories[i]]++;
      assert.ok(
        counts.every((c) => c <= Math.ceil(n / k)),
        `balanced: ${counts}`,
      );
      assert.ok(Math.abs(total - bruteForce(cost, penalty)) < 1e-9, JSON.stringify({ cost, categories }));
    }
  });

  it('trains through the cascade and the discrete warm-up: finite terms, reconstruction falls', async () => {
    const config = resolveTrainConfig({
      model: 'cascade-vae',
      architecture: 'mlp',
      hidden: [64],
      latentDim: 4,
      batchSize: 16,
      steps: 40,
      learningRate: 1e-3,
      logEvery: 10,
      seed: 2,
      modelOptions: { relieveEvery: 8, discreteWarmup: 20 },
    });
    const session = buildSession(config);
    const dir = tempDir('cascade-vae');
    await train(session, dir);
    const log = readLog(dir) as Record<string, number>[];
    assert.deepEqual(
      log.map((e) => [e.relievedDims, e.discreteActive]),
      [
        [1, 0],
        [2, 0],
        [3, 1],
        [4, 1],
      ],
    );
    for (const e of log) assert.ok(Number.isFinite(e.total) && Number.isFinite(e.weightedKl));
    assert.ok(log.at(-1)!.reconstruction < log[0].reconstruction - 50);
    const [accuracy] = discreteAccuracy(session.model, session.data, new Rng(1), 200);
    assert.ok(accuracy.accuracy >= 1 / 3 - 0.1 && accuracy.accuracy <= 1);
  });
});
