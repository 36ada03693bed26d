/**
 * `npm run bench:kernels`: per-kernel profile of one thread's yardstick gradient step (tf.profile, wall
 * time of each kernel), summed by kernel name and input shapes, slowest first, as JSON lines.
 * Options: --batch B (default 32: one thread's half of the 64-image batch), --steps N (profiled steps,
 * default 5), --backend wasm|cpu.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { type BackendName, useBackend } from '../src/engine/backend.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { shardGradients } from '../src/train/gradients.ts';
import { buildSession } from '../src/train/session.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const batch = Number(values.batch);
const config = resolveTrainConfig({
  model: 'beta-vae',
  dataset: 'dsprites',
  innerKernel: 4,
  batchSize: batch,
  backend: values.backend as BackendName,
  steps: 1,
  modelOptions: { beta: 4 },
});
await useBackend(config.backend);
const session = buildSession(config);
const [h, w, c] = session.data.observationShape;
const step = (k: number) => {
  const { x, factors } = sampleBatch(session.data, batch, session.rng);
  return shardGradients(session.task, 0, k, 7, {
    x,
    factors,
    shape: [batch, h, w, c],
    size: batch,
    firstExample: 0,
  });
};
for (let k = 0; k < 3; k++) step(k);
const totals = new Map<string, { ms: number; calls: number }>();
let stepMs = 0;
const steps = Number(values.steps);
for (let k = 0; k < steps; k++) {
  const t0 = performance.now();
  const info = await tf.profile(() => {
    step(k);
  });
  stepMs += performance.now() - t0;
  for (const kernel of info.kernels) {
    const key = `${kernel.name} ${kernel.inputShapes.map((s) => `[${s}]`).join(' ')}`;
    const entry = totals.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += kernel.kernelTimeMs as number;
    entry.calls += 1;
    totals.set(key, entry);
  }
}
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
process.stdout.write(
  `${JSON.stringify({ backend: tf.getBackend(), batch, step_ms: +(stepMs / steps).toFixed(2), kernel_ms: +kernelMs.toFixed(2) })}\n`,
);
for (const [key, e] of rows) {
  const ms = e.ms / steps;
  if (ms < 0.05) continue;
  process.stdout.write(
    `${JSON.stringify({ kernel: key, ms: +ms.toFixed(2), share: +(ms / kernelMs).toFixed(3), calls: e.calls / steps })}\n`,
  );
}
