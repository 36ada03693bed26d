import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDSprites } from '../src/data/dsprites.ts';
import { factorsOfStates } from '../src/data/ground-truth.ts';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { evaluateRun } from '../src/metrics/evaluate-run.ts';
import { pointsDrawn } from '../src/metrics/suite.ts';
import { encodePosterior } from '../src/models/inference.ts';
import { encodeEveryState } from '../src/run/encode-states.ts';
import { loadRun } from '../src/run/load-run.ts';
import { tempDir, untangle } from './helpers/cli.ts';

// A full 3x4x5 grid of 64x64 sprites as an image folder: small enough to encode every state in a test.
const SIZES = [3, 4, 5];
const STATES = 60;

function trainedGridRun(): string {
  const dir = tempDir('encode-states');
  const factors = factorsOfStates(SIZES, 0, STATES);
  const sprites = createDSprites();
  const rows = Int32Array.from({ length: STATES * 5 }, (_, i) => {
    const [s, f] = [Math.floor(i / 5), i % 5];
    return [factors[s * 3], 2 + factors[s * 3 + 1], 0, 4 + 5 * factors[s * 3 + 2], 8 + (s % 16)][f];
  });
  const images = sprites.sampleObservationsFromFactors(rows, new Rng(0));
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [STATES, 64, 64, 1], data: images });
  writeNpy(join(dir, 'y.npy'), { dtype: 'int32', shape: [STATES, 3], data: factors });
  const run = join(dir, 'run');
  const trained = untangle([
    ...['train', '--dataset', 'images', '--data-path', join(dir, 'x.npy')],
    ...['--set', `factorsPath=${join(dir, 'y.npy')}`, '--set', 'batchSize=8'],
    ...['--steps', '3', '--threads', '1', '--out', run],
  ]);
  assert.equal(trained.status, 0, trained.stderr);
  return run;
}

describe('encoding every state on every core', () => {
  const run = trainedGridRun();

  it('the table of 2 threads in blocks equals one forward pass of every state on this thread, bit for bit', async () => {
    const { model, data } = await loadRun(run);
    const table = await encodeEveryState(run, model, data, { threads: 2, blockSize: 8, batchSize: 3 });
    assert.ok(table.blocksByThread[1] >= 1, `the worker encoded no block: ${table.blocksByThread}`);
    assert.equal(table.blocksByThread[0] + table.blocksByThread[1], Math.ceil(STATES / 8));
    const x = data.sampleObservationsFromFactors(factorsOfStates(SIZES, 0, STATES), new Rng(0));
    const reference = encodePosterior(model, x, STATES, data.observationShape);
    assert.deepEqual(Array.from(table.mean), Array.from(reference.mean));
    assert.deepEqual(Array.from(table.logVar), Array.from(reference.logVar));
  });

  it('evaluate scores the same with every state encoded first as with encoding on demand', async () => {
    const metrics = ['factor-vae-score', 'beta-vae-score', 'mig', 'z-max-var'];
    const overrides = {
      'factor-vae-score': {
        numTrain: 40,
        numEval: 20,
        numVarianceEstimate: 200,
        batchSize: 16,
        pruneThreshold: 1e-6,
      },
      'beta-vae-score': { numTrain: 40, numEval: 20, batchSize: 8 },
      mig: { numTrain: 200 },
      'z-max-var': {
        numTrain: 20,
        numEval: 20,
        numVarianceEstimate: 200,
        batchSize: 8,
        pruneThreshold: 1e-6,
      },
    };
    const options = { metrics, kinds: ['mean', 'sampled'] as const, seed: 3, overrides, posterior: false };
    const eager = await evaluateRun(run, { ...options, kinds: [...options.kinds], encodeEveryState: true });
    const lazy = await evaluateRun(run, { ...options, kinds: [...options.kinds], encodeEveryState: false });
    for (const kind of options.kinds) {
      for (const name of metrics) {
        assert.deepEqual(eager.codes[kind]![name].result, lazy.codes[kind]![name].result, `${kind} ${name}`);
      }
    }
    const voted = eager.codes.mean!['factor-vae-score'].result as { activeDims: number };
    assert.ok(voted.activeDims > 0, 'no active dim: the score did not vote');
  });

  it('counts the points the metrics draw: groups of points for the vote and pair scores', () => {
    // FactorVAE: 10,000 for the variances + 64 x (10,000 + 5,000); BetaVAE: 2 x 64 x (10,000 + 5,000); MIG 10,000
    assert.equal(pointsDrawn(['factor-vae-score']), 10_000 + 64 * 15_000);
    assert.equal(pointsDrawn(['beta-vae-score', 'mig']), 2 * 64 * 15_000 + 10_000);
    assert.equal(pointsDrawn(['sap'], { sap: { numTrain: 100 } }), 100 + 5_000);
  });
});
