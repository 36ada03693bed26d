import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { runTraining } from '../src/jobs/run-training.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { buildSession } from '../src/train/session.ts';
import { NonFiniteLossError, train } from '../src/train/trainer.ts';
import { tempDir } from './helpers/cli.ts';

/** A small, fast run: MLP nets on dSprites. */
const small = (overrides: Record<string, unknown> = {}) =>
  resolveTrainConfig({
    model: 'beta-vae',
    architecture: 'mlp',
    hidden: [64],
    batchSize: 16,
    steps: 12,
    logEvery: 1,
    checkpointEvery: 4,
    seed: 5,
    ...overrides,
  });

const losses = (log: ReturnType<typeof readLog>) => log.map(({ imgPerSec: _, ...rest }) => rest);

describe('trainer', () => {
  before(() => useBackend('wasm'));

  it('refuses more threads than cores before building anything', async () => {
    const cores = availableParallelism();
    const dir = tempDir('threads');
    await assert.rejects(
      runTraining(small({ threads: cores + 1 }), dir, false, { progress: false }),
      new RegExp(`threads ${cores + 1}: more than the ${cores} cores of this machine`),
    );
    assert.ok(!existsSync(join(dir, 'log.jsonl')));
  });

  for (const model of ['beta-vae', 'factor-vae', 'joint-vae', 'cascade-vae']) {
    it(`a resumed ${model} run continues exactly like the uninterrupted one`, async () => {
      const whole = tempDir('whole');
      await train(buildSession(small({ model })), whole);
      const parts = tempDir('parts');
      await train(buildSession(small({ model, steps: 8 })), parts);
      await train(buildSession(small({ model })), parts, { resume: true });
      const a = losses(readLog(whole));
      const b = losses(readLog(parts));
      assert.equal(b.length, 12);
      assert.deepEqual(b, a, 'same seed, same losses, term by term');
    });
  }

  it('logs every term and KL per latent dim; reconstruction falls', async () => {
    const dir = tempDir('terms');
    await train(buildSession(small({ steps: 40, learningRate: 1e-3, logEvery: 10 })), dir);
    const log = readLog(dir);
    assert.deepEqual(
      log.map((e) => e.step),
      [10, 20, 30, 40],
    );
    for (const e of log) {
      for (const key of ['total', 'reconstruction', 'kl', 'elbo', 'imgPerSec'])
        assert.ok(Number.isFinite(e[key]), `${key} at ${e.step}`);
      assert.equal((e.klPerDim as number[]).length, 10);
      const klSum = (e.klPerDim as number[]).reduce((s, v) => s + v, 0);
      assert.ok(
        Math.abs(klSum - (e.kl as number)) < 1e-3 * Math.max(1, e.kl as number),
        'KL is the sum of KL per dim',
      );
    }
    assert.ok(
      (log[3].reconstruction as number) < (log[0].reconstruction as number) - 100,
      `reconstruction ${log[0].reconstruction} -> ${log[3].reconstruction}`,
    );
  });

  it('stops on a non-finite loss, naming the step, and keeps the last good checkpoint', async () => {
    const dir = tempDir('nan');
    const config = small({ steps: 200, learningRate: 1e4, checkpointEvery: 1, logEvery: 1 });
    await assert.rejects(train(buildSession(config), dir), (err: Error) => {
      assert.ok(err instanceof NonFiniteLossError, err.message);
      assert.match(err.message, /at step \d+/);
      const failed = Number(/at step (\d+)/.exec(err.message)![1]);
      const saved = JSON.parse(readFileSync(join(dir, 'checkpoint', 'state.json'), 'utf8'));
      assert.equal(saved.step, failed - 1, 'the checkpoint is the last finite step');
      return true;
    });
  });

  it('a non-finite loss before the first checkpoint says there is none (it named a missing folder)', async () => {
    const dir = tempDir('nan-early');
    const config = small({ steps: 200, learningRate: 1e4, checkpointEvery: 1000, logEvery: 1 });
    await assert.rejects(train(buildSession(config), dir), (err: Error) => {
      assert.ok(err instanceof NonFiniteLossError, err.message);
      assert.match(err.message, /no checkpoint was written before it \(nothing to resume\)/);
      assert.ok(!existsSync(join(dir, 'checkpoint')));
      return true;
    });
  });

  it('does not leak tensors across training steps', async () => {
    const session = buildSession(small({ steps: 3 }));
    const dir = tempDir('memory');
    await train(session, dir);
    const before = tf.memory().numTensors;
    session.config.steps = 9;
    await train(session, dir, { resume: true });
    assert.equal(tf.memory().numTensors, before);
  });

  it("two data-parallel threads give the single thread's losses", async () => {
    const config = small({ steps: 2, architecture: 'conv64', innerKernel: 2 });
    const one = tempDir('one');
    await train(buildSession(config), one);
    const two = tempDir('two');
    await train(buildSession({ ...config, threads: 2 }), two);
    const [a, b] = [readLog(one), readLog(two)];
    for (const [i, e] of a.entries()) {
      const rel = Math.abs(e.total - b[i].total) / Math.abs(e.total);
      assert.ok(rel < 1e-5, `step ${e.step}: ${e.total} vs ${b[i].total}`);
    }
    assert.ok(existsSync(join(two, 'checkpoint', 'state.json')));
  });

  it('a batch-coupled loss (β-TCVAE minibatch q(z)) is the same estimator at threads 2 as at 1', async () => {
    // split into two slices of 8, q(z) would be estimated over 8 codes, not 16: a different loss
    const config = small({ model: 'beta-tcvae', steps: 3 });
    const one = tempDir('tc-one');
    await train(buildSession(config), one);
    const two = tempDir('tc-two');
    await train(buildSession({ ...config, threads: 2 }), two);
    const [a, b] = [losses(readLog(one)), losses(readLog(two))];
    assert.equal(a.length, 3);
    for (const [i, e] of a.entries()) {
      assert.ok('totalCorrelation' in e, 'the log has the TC term');
      for (const [term, value] of Object.entries(e)) {
        if (typeof value !== 'number') continue;
        const other = b[i][term] as number;
        const rel = Math.abs(value - other) / Math.max(Math.abs(value), 1e-6);
        assert.ok(rel < 1e-4, `step ${e.step} ${term}: ${value} vs ${other}`);
      }
    }
  });
});
