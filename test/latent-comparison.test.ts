import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { saveRunConfig } from '../src/run/load-run.ts';
import { buildSession } from '../src/train/session.ts';
import { train } from '../src/train/trainer.ts';
import { latentComparison } from '../src/viz/latent-comparison.ts';
import { latentSample } from '../src/viz/latent-pictures.ts';
import { tempDir, untangle } from './helpers/cli.ts';

/** A few steps of `model` on MNIST with a 2-D latent, in a run folder. */
async function tinyRun(model: string) {
  const config = resolveTrainConfig({
    model,
    dataset: 'mnist',
    architecture: 'mlp',
    hidden: [16],
    latentDim: 2,
    batchSize: 8,
    steps: 5,
    checkpointEvery: 5,
    threads: 1,
  });
  const dir = join(tempDir(`compare-${model}`), model);
  mkdirSync(dir);
  await saveRunConfig(dir, config);
  const session = buildSession(config);
  await train(session, dir);
  return { dir, title: model, model: session.model, data: session.data };
}

describe('the AE-vs-VAE latent scatter (untangle scatter)', () => {
  before(() => useBackend('wasm'));

  it('plots each model’s codes of the same images, side by side; the CLI writes the picture', async () => {
    const runs = [await tinyRun('autoencoder'), await tinyRun('vae')];
    const { spec, codes } = latentComparison(runs, { points: 40, seed: 3 });
    const panels = (spec as { hconcat: Array<{ title: string; data: { values: object[] } }> }).hconcat;
    assert.equal(panels.length, 2);
    assert.match(panels[0].title, /^autoencoder: E\[z\|x\] of 40 mnist images/);
    // independently: the encoder's first two outputs (the means) of the same 40 images
    const { x, labels } = latentSample(runs[0].data, 40, 3);
    runs.forEach((run, i) => {
      const stats = tf.tidy(() =>
        (run.model.nets.encoder.predict(tf.tensor4d(x, [40, 28, 28, 1])) as tf.Tensor2D).arraySync(),
      );
      const expected = stats.map((row, j) => ({ x: row[0], y: row[1], label: String(labels[j]) }));
      const plotted = panels[i].data.values as Array<{ x: number; y: number; label: string }>;
      plotted.forEach((p, j) => {
        assert.ok(
          Math.abs(p.x - expected[j].x) < 1e-5 && Math.abs(p.y - expected[j].y) < 1e-5,
          `${run.title} point ${j}`,
        );
        assert.equal(p.label, expected[j].label);
      });
      assert.equal(codes[i].length, 80);
    });
    // a model without a 2-D latent is refused by name (the wide one shares the VAE's model but claims 3 dims)
    const wide = { ...runs[1], title: 'wide', model: { ...runs[1].model, latentDim: 3 } };
    assert.throws(
      () => latentComparison([runs[0], wide]),
      /wide: a 3-D latent, the scatter needs latentDim 2/,
    );

    const out = join(tempDir('compare-out'), 'ae-vs-vae.svg');
    const result = untangle(['scatter', runs[0].dir, runs[1].dir, '--out', out, '--points', '40']);
    assert.equal(result.status, 0, result.stderr);
    const svg = readFileSync(out, 'utf8');
    assert.ok(svg.includes('autoencoder (autoencoder): E[z|x]') && svg.includes('vae (vae): E[z|x]'));
  });
});
