/**
 * `npm run bench:profile-webgpu`: per-kernel GPU time of the yardstick's training step on the webgpu
 * backend (tf.profile with timestamp queries: each kernel's dispatches as the device timed them),
 * summed by kernel name and input shapes, slowest first, as JSON lines. The step is the on-device
 * update's (forward, backward, Adam), nothing read back.
 * Options: --batch B (default 256), --steps N (profiled steps, default 3), --warmup N (default 2).
 * On SwiftShader (no GPU) the times are CPU times of the emulated device: a check, not a GPU figure.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { yardstickConfig } from '../src/cli/bench.ts';
import { useBackend, webgpuAdapterInfo } from '../src/engine/backend.ts';
import { buildSession } from '../src/train/session.ts';
import { createUpdate } from '../src/train/update/select.ts';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '256' },
    steps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
  },
});
const batch = Number(values.batch);
const steps = Number(values.steps);
const config = yardstickConfig({ batchSize: batch, backend: 'webgpu', steps: 1 });
await useBackend('webgpu');
const session = buildSession(config);
const update = await createUpdate(session.task);
const step = (k: number) => update.step(k, 7 + k, session.task.sampleBatch(session.rng, k));
// the first steps compile every pipeline
for (let k = 0; k < Number(values.warmup); k++) await step(k);
await update.losses();
const totals = new Map<string, { ms: number; calls: number }>();
let stepMs = 0;
for (let k = 0; k < steps; k++) {
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await step(k);
    await update.losses();
  });
  stepMs += performance.now() - t0;
  for (const kernel of info.kernels) {
    const key = `${kernel.name} ${kernel.inputShapes.map((s) => `[${s}]`).join(' ')}`;
    const entry = totals.get(key) ?? { ms: 0, calls: 0 };
    entry.ms += Number(await kernel.kernelTimeMs);
    entry.calls += 1;
    totals.set(key, entry);
  }
}
await update.close();
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
process.stdout.write(
  `${JSON.stringify({
    backend: 'webgpu',
    adapter: webgpuAdapterInfo()?.description,
    kernels: process.env.UNTANGLE_WEBGPU_KERNELS === 'stock' ? 'stock' : 'untangle',
    batch,
    step_ms: +(stepMs / steps).toFixed(2),
    kernel_ms: +kernelMs.toFixed(2),
  })}\n`,
);
for (const [key, e] of rows) {
  const ms = e.ms / steps;
  if (ms < 0.005) continue;
  process.stdout.write(
    `${JSON.stringify({ kernel: key, ms: +ms.toFixed(3), share: +(ms / kernelMs).toFixed(3), calls: e.calls / steps })}\n`,
  );
}
