import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { buildSession } from '../src/train/session.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { train } from '../src/train/trainer.ts';
import { tempDir } from './helpers/cli.ts';

const small = (overrides: Record<string, unknown> = {}) =>
  resolveTrainConfig({
    model: 'autoencoder',
    architecture: 'mlp',
    hidden: [32],
    latentDim: 3,
    batchSize: 16,
    seed: 2,
    threads: 1,
    ...overrides,
  });

describe('autoencoder', () => {
  before(() => useBackend('wasm'));

  it('its loss is the Bernoulli reconstruction of the deterministic code alone, by hand', () => {
    const { model, data } = buildSession(small());
    const { x } = sampleBatch(data, 4, new Rng(9));
    const images = tf.tensor4d(x, [4, 64, 64, 1]);
    const losses = [1, 2].map((seed) => {
      const out = model.objectives[0].loss(images, stepContext(0, seed, 0));
      return { total: out.total.dataSync()[0], terms: Object.keys(out.terms), kl: out.klPerDim };
    });
    assert.deepEqual(losses[0].terms, ['reconstruction'], 'no KL term');
    assert.equal(losses[0].kl, undefined);
    assert.equal(losses[0].total, losses[1].total, 'no noise: another step seed, the same loss');
    // by hand in float64: code = the encoder's first latentDim outputs, −Σ log Bernoulli(x | sigmoid(l)) / n
    const stats = (model.nets.encoder.predict(images) as tf.Tensor2D).arraySync();
    const code = tf.tensor2d(stats.map((row) => row.slice(0, 3)));
    const logits = (model.nets.decoder.predict(code) as tf.Tensor).dataSync();
    let nll = 0;
    for (let i = 0; i < logits.length; i++) {
      const p = 1 / (1 + Math.exp(-logits[i]));
      nll -= x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
    }
    nll /= 4;
    assert.ok(Math.abs(losses[0].total - nll) <= 1e-4 * nll, `loss ${losses[0].total} vs by hand ${nll}`);
    const { mean, logVar } = model.encode(images);
    assert.deepEqual(Array.from(mean.dataSync()), Array.from(code.dataSync()), 'encode gives the code');
    assert.ok(
      Array.from(logVar.dataSync()).every((v) => v === Number.NEGATIVE_INFINITY),
      'a point mass',
    );
  });

  it('trains: the reconstruction falls, the log has no KL, latent.json says the code is deterministic', async () => {
    const dir = tempDir('autoencoder');
    await train(
      buildSession(small({ steps: 40, learningRate: 1e-3, logEvery: 10, checkpointEvery: 40 })),
      dir,
    );
    const log = readLog(dir) as Array<Record<string, number>>;
    assert.equal(log.length, 4);
    assert.deepEqual(Object.keys(log[0]).sort(), ['imgPerSec', 'reconstruction', 'step', 'total']);
    assert.ok(
      log[3].reconstruction < 0.8 * log[0].reconstruction,
      `${log[0].reconstruction} → ${log[3].reconstruction}`,
    );
    const latent = JSON.parse(readFileSync(join(dir, 'latent.json'), 'utf8'));
    assert.deepEqual(latent, {
      model: 'autoencoder',
      continuous: 3,
      code: 'deterministic',
      discrete: [],
      decoder: 'bernoulli',
    });
  });
});
