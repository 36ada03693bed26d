import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { loadSpeechCorpus } from '../src/data/speech/load.ts';
import { useBackend } from '../src/engine/backend.ts';
import { resolveSequenceConfig, resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { buildSequenceSession, buildSession } from '../src/train/session.ts';
import { train } from '../src/train/trainer.ts';
import { deviceUpdate } from '../src/train/update/device.ts';
import { updateStrategyName } from '../src/train/update/select.ts';
import { ROOT, tempDir } from './helpers/cli.ts';

// The on-device update on the cpu backend: what the webgpu backend runs, tested where it is exact.
const small = (overrides: Record<string, unknown> = {}) =>
  resolveTrainConfig({
    model: 'beta-vae',
    architecture: 'mlp',
    hidden: [32],
    batchSize: 8,
    steps: 12,
    logEvery: 2,
    checkpointEvery: 4,
    seed: 7,
    backend: 'cpu',
    update: 'device',
    ...overrides,
  });
const strip = (dir: string) => readLog(dir).map(({ imgPerSec: _, segPerSec: __, ...rest }) => rest);

describe('update strategies', () => {
  before(() => useBackend('cpu'));

  it('auto picks the device update on webgpu/webgl and shared memory on wasm/cpu; either can be asked for', () => {
    assert.equal(updateStrategyName('auto', 'webgpu'), 'device');
    assert.equal(updateStrategyName('auto', 'webgl'), 'device');
    assert.equal(updateStrategyName('auto', 'wasm'), 'shared-memory');
    assert.equal(updateStrategyName('auto', 'cpu'), 'shared-memory');
    assert.equal(updateStrategyName('device', 'wasm'), 'device');
    assert.equal(updateStrategyName('shared-memory', 'webgpu'), 'shared-memory');
  });

  // factor-vae (two objectives) on wasm: its 6x1000 discriminator takes minutes on the cpu backend
  for (const [model, backend] of [
    ['beta-vae', 'cpu'],
    ['factor-vae', 'wasm'],
  ] as const) {
    it(`device update, ${model} on ${backend}: a resumed run continues bit-exactly like the uninterrupted one`, async () => {
      await useBackend(backend);
      try {
        const run = (steps: number) => buildSession(small({ model, steps, backend }));
        const whole = tempDir('device-whole');
        await train(run(12), whole);
        const parts = tempDir('device-parts');
        await train(run(8), parts);
        await train(run(12), parts, { resume: true });
        assert.equal(strip(whole).length, 6);
        assert.deepEqual(strip(parts), strip(whole));
      } finally {
        await useBackend('cpu');
      }
    });
  }

  it("device update: the shared-memory update's losses on the same seed, within float32 rounding", async () => {
    const device = tempDir('device');
    await train(buildSession(small({ steps: 30, logEvery: 1, learningRate: 1e-3 })), device);
    const shared = tempDir('shared');
    await train(
      buildSession(small({ steps: 30, logEvery: 1, learningRate: 1e-3, update: 'shared-memory' })),
      shared,
    );
    const [a, b] = [readLog(device), readLog(shared)];
    assert.equal(a.length, 30);
    assert.equal(a[0].total, b[0].total, 'step 1 sees the same initial weights');
    for (const [i, e] of a.entries()) {
      const rel = Math.abs(e.total - b[i].total) / Math.abs(b[i].total);
      assert.ok(rel < 1e-4, `step ${e.step}: device ${e.total} vs shared memory ${b[i].total}`);
    }
    assert.ok(b[29].total < b[0].total - 50, `it trained: ${b[0].total} -> ${b[29].total}`);
  });

  it('device update: a step reads nothing back (no dataSync), losses are read asynchronously on request', async () => {
    const session = buildSession(small());
    const update = deviceUpdate(session.task);
    const dataSync = tf.Tensor.prototype.dataSync;
    let reads = 0;
    tf.Tensor.prototype.dataSync = function (this: tf.Tensor) {
      reads += 1;
      return dataSync.call(this);
    } as typeof dataSync;
    try {
      const tensors = tf.memory().numTensors;
      for (let step = 0; step < 3; step++)
        await update.step(step, 11 + step, session.task.sampleBatch(session.rng, step));
      assert.equal(reads, 0, 'dataSync calls during three steps');
      const [loss] = await update.losses();
      assert.equal(reads, 0, 'dataSync calls reading the losses');
      assert.ok(Number.isFinite(loss.total) && Number.isFinite(loss.terms.kl), JSON.stringify(loss));
      assert.ok(tf.memory().numTensors <= tensors + 8, 'only the last step’s losses stay on the backend');
    } finally {
      tf.Tensor.prototype.dataSync = dataSync;
      await update.close();
    }
  });

  it('device update, FHVAE across hierarchical rounds: resumed bit-exactly', async () => {
    const corpus = loadSpeechCorpus(join(ROOT, 'test', 'fixtures', 'af49a90', 'speech-corpus'));
    const config = (steps: number) =>
      resolveSequenceConfig({
        steps,
        batchSize: 8,
        logEvery: 1,
        checkpointEvery: 5,
        seed: 2,
        segmentShift: 5,
        sequencesPerRound: 4,
        roundSteps: 3,
        backend: 'cpu',
        update: 'device',
        modelOptions: { frames: 10, units: 4, z1Dim: 2, z2Dim: 2 },
      });
    const whole = tempDir('device-fhvae-whole');
    await train(buildSequenceSession(config(10), corpus), whole);
    const parts = tempDir('device-fhvae-parts');
    await train(buildSequenceSession(config(5), corpus), parts);
    await train(buildSequenceSession(config(10), corpus), parts, { resume: true });
    assert.deepEqual(
      strip(whole).map((e) => e.round),
      [0, 0, 0, 1, 1, 1, 2, 2, 2, 3],
    );
    assert.deepEqual(strip(parts), strip(whole));
  });
});
