import assert from 'node:assert/strict';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { yardstickConfig } from '../src/cli/bench.ts';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { loadSpeechCorpus } from '../src/data/speech/load.ts';
import { type BackendName, useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { InputError } from '../src/io/input-error.ts';
import { runTraining } from '../src/jobs/run-training.ts';
import { buildModel } from '../src/run/build-model.ts';
import { readCheckpoint } from '../src/run/checkpoint.ts';
import { resolveSequenceConfig, resolveTrainConfig } from '../src/run/config.ts';
import { loadRun, saveRunConfig } from '../src/run/load-run.ts';
import { type LogEntry, readLog } from '../src/run/log.ts';
import { buildSequenceSession, buildSession } from '../src/train/session.ts';
import type { BatchSlice } from '../src/train/task.ts';
import { type Session, train, trainStep } from '../src/train/trainer.ts';
import { createUpdate } from '../src/train/update/select.ts';
import { ROOT, tempDir } from './helpers/cli.ts';
import { webgpuSkipReason } from './helpers/webgpu.ts';

// SwiftShader runs a GPU's work on this machine's CPU at a few hundred MFLOP/s, so batches are tiny.
const strip = (log: LogEntry[]) => log.map(({ imgPerSec: _, ...rest }) => rest);
const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The yardstick (DESIGN §1: conv64 with 4x4 kernels, z = 10, β = 4, Adam 1e-4) at batch 2. */
const yardstick = (backend: BackendName) =>
  yardstickConfig({
    batchSize: 2,
    steps: 30,
    logEvery: 1,
    checkpointEvery: 30,
    seed: 3,
    threads: 1,
    backend,
  });

/** A small MLP β-VAE for the resume and hand-off checks. */
const small = (backend: BackendName, steps: number) =>
  resolveTrainConfig({
    model: 'beta-vae',
    dataset: 'dsprites',
    architecture: 'mlp',
    hidden: [32],
    latentDim: 4,
    batchSize: 4,
    learningRate: 1e-3,
    steps,
    logEvery: 2,
    checkpointEvery: 4,
    seed: 5,
    threads: 1,
    backend,
  });

/**
 * `steps` steps through the trainer's own step (trainStep) with the backend's default update, counting
 * every synchronous read (readSync: dataSync, arraySync) the backend is asked for meanwhile.
 */
async function stepsOn(backend: BackendName, build: () => Session<BatchSlice>, steps: number) {
  await useBackend(backend);
  const session = build();
  const update = await createUpdate(session.task);
  const engine = tf.backend() as unknown as { readSync(dataId: object): unknown };
  const readSync = engine.readSync;
  let syncReads = 0;
  engine.readSync = (dataId) => {
    syncReads += 1;
    return readSync.call(engine, dataId);
  };
  try {
    session.task.begin?.(0);
    const log: LogEntry[] = [];
    for (let step = 0; step < steps; step++) log.push(await trainStep(session, session.rng, step, update));
    return { log, syncReads, update: update.name };
  } finally {
    engine.readSync = readSync;
    await update.close();
  }
}

async function trainOn(backend: BackendName, steps: number, runDir: string, resume = false): Promise<void> {
  await useBackend(backend);
  await train(buildSession(small(backend, steps)), runDir, { resume });
}

describe('training on webgpu (SwiftShader)', async () => {
  const skip = await webgpuSkipReason();

  it('30 steps of the yardstick follow the wasm backend’s loss curve to 1e-3 relative', {
    skip,
  }, async () => {
    await useBackend('wasm');
    const reference = tempDir('yardstick-wasm');
    await train(buildSession(yardstick('wasm')), reference);
    await useBackend('webgpu');
    const gpu = tempDir('yardstick-webgpu');
    await train(buildSession(yardstick('webgpu')), gpu);
    const [a, b] = [readLog(gpu), readLog(reference)];
    assert.equal(a.length, 30);
    for (const [i, e] of a.entries()) {
      // kl starts near 1e-3 nats, where float32 rounding of the sum is not 1e-3 of it; total carries it
      for (const term of ['total', 'reconstruction'] as const) {
        const rel = relative(e[term] as number, b[i][term] as number);
        assert.ok(rel < 1e-3, `step ${e.step} ${term}: webgpu ${e[term]} vs wasm ${b[i][term]} (${rel})`);
      }
    }
    assert.ok(a[29].total < a[0].total, `it trained: ${a[0].total} -> ${a[29].total}`);
  });

  it('a run resumes exactly on webgpu, resumes on wasm (and the reverse), and wasm evaluates it', {
    skip,
  }, async () => {
    // the whole run through runTraining: trained on webgpu, pictured on wasm from its checkpoint
    const whole = tempDir('webgpu-whole');
    await saveRunConfig(whole, small('webgpu', 8));
    await runTraining(small('webgpu', 8), whole, false, { progress: false });
    for (const picture of ['traversal.png', 'reconstructions.png', 'samples.png'])
      assert.ok(existsSync(join(whole, picture)), `${picture} written from the webgpu run`);
    assert.equal(tf.getBackend(), 'wasm', 'the pictures were drawn on wasm');

    const parts = tempDir('webgpu-parts');
    await trainOn('webgpu', 4, parts);
    const onWasm = tempDir('webgpu-then-wasm');
    cpSync(parts, onWasm, { recursive: true });
    await trainOn('webgpu', 8, parts, true);
    assert.equal(strip(readLog(whole)).length, 4);
    assert.deepEqual(
      strip(readLog(parts)),
      strip(readLog(whole)),
      'resumed on webgpu: the same log, bit for bit',
    );

    await trainOn('wasm', 8, onWasm, true);
    const reverse = tempDir('wasm-then-webgpu');
    await trainOn('wasm', 4, reverse);
    await trainOn('webgpu', 8, reverse, true);
    const expected = readLog(whole);
    for (const [name, dir] of [
      ['webgpu then wasm', onWasm],
      ['wasm then webgpu', reverse],
    ] as const) {
      readLog(dir).forEach((e, i) => {
        const rel = relative(e.total, expected[i].total);
        assert.ok(rel < 1e-3, `${name}, step ${e.step}: ${e.total} vs webgpu's ${expected[i].total}`);
      });
    }

    // evaluate's path: loadRun of a webgpu run encodes on wasm, with the codes webgpu computes
    const { model, data, config } = await loadRun(whole);
    assert.equal(tf.getBackend(), 'wasm');
    const { x } = sampleBatch(data, 6, new Rng(9));
    const encodeMeans = async () =>
      tf.tidy(() => model.encode(tf.tensor4d(x, [6, ...data.observationShape])).mean).data();
    const onWasmMeans = await encodeMeans();
    await useBackend('webgpu');
    const gpuModel = buildModel(config, data, new Rng(config.seed));
    await readCheckpoint(whole, gpuModel);
    const gpuMean = tf.tidy(() => gpuModel.encode(tf.tensor4d(x, [6, ...data.observationShape])).mean);
    const onGpuMeans = await gpuMean.data();
    gpuMean.dispose();
    const gap = Math.max(...onGpuMeans.map((v, i) => Math.abs(v - onWasmMeans[i])));
    assert.ok(gap < 1e-4, `codes of the same checkpoint on webgpu vs wasm differ by ${gap}`);
  });

  it('CascadeVAE past its warm-up and the FHVAE across a round follow wasm to 1e-3, no synchronous read in a step', {
    skip,
  }, async () => {
    // CascadeVAE: the discrete assignment from step 3 (its costs read with await data() before the gradient)
    const cascade = (backend: BackendName) => () =>
      buildSession(
        resolveTrainConfig({
          model: 'cascade-vae',
          dataset: 'dsprites',
          architecture: 'mlp',
          hidden: [16],
          latentDim: 3,
          batchSize: 4,
          seed: 4,
          threads: 1,
          backend,
          modelOptions: { discreteWarmup: 2, relieveEvery: 2 },
        }),
      );
    // FHVAE: rounds of 2 steps re-estimate μ2 rows at steps 0 and 2; the table's gradient is a segment sum
    const corpus = loadSpeechCorpus(join(ROOT, 'test', 'fixtures', 'af49a90', 'speech-corpus'));
    const fhvae = (backend: BackendName) => () =>
      buildSequenceSession(
        resolveSequenceConfig({
          batchSize: 4,
          seed: 2,
          segmentShift: 5,
          sequencesPerRound: 4,
          roundSteps: 2,
          threads: 1,
          backend,
          modelOptions: { frames: 10, units: 4, z1Dim: 2, z2Dim: 2 },
        }),
        corpus,
      );
    for (const [name, build, phase, terms] of [
      ['cascade-vae', cascade, 'discreteActive', ['total', 'reconstruction', 'kl']],
      ['fhvae', fhvae, 'round', ['total', 'reconstruction', 'discriminative']],
    ] as const) {
      const wasm = await stepsOn('wasm', build('wasm') as () => Session<BatchSlice>, 4);
      const gpu = await stepsOn('webgpu', build('webgpu') as () => Session<BatchSlice>, 4);
      assert.equal(gpu.update, 'device');
      assert.equal(gpu.syncReads, 0, `${name}: synchronous reads on webgpu during 4 steps`);
      assert.deepEqual(
        gpu.log.map((e) => e[phase]),
        [0, 0, 1, 1],
        `${name}: ${phase} by step (the assignment or the second round from step 3)`,
      );
      for (const [i, e] of gpu.log.entries())
        for (const term of terms) {
          const [a, b] = [e[term] as number, wasm.log[i][term] as number];
          assert.ok(relative(a, b) < 1e-3, `${name} step ${e.step} ${term}: webgpu ${a} vs wasm ${b}`);
        }
    }
  });

  it('a model that read values back synchronously inside a step would stop at it with one clear line', {
    skip,
  }, async () => {
    await useBackend('webgpu');
    const session = buildSession(small('webgpu', 2));
    const loss = session.task.loss;
    session.task.loss = (k, slice, ctx, prepared) => {
      const out = loss(k, slice, ctx, prepared);
      out.total.dataSync();
      return out;
    };
    await assert.rejects(train(session, tempDir('sync-read-webgpu')), (err: Error) => {
      assert.ok(err instanceof InputError, `${err.name}: ${err.message}`);
      assert.match(err.message, /backend webgpu: model beta-vae reads values back .* --backend wasm/);
      return true;
    });
  });
});
