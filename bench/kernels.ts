/**
 * `npm run bench:kernels`: per-kernel profile of one thread's yardstick gradient step, summed by kernel
 * name and input shapes, slowest first, as JSON lines. Every kernel of the backend is wrapped to time
 * its calls: `ms` is process CPU time (what other jobs on a shared machine disturb least; this process
 * runs one thread), `wall_ms` wall time. The first line has the whole step's CPU and wall time, the
 * kernels' sum, and what is left (tfjs' engine, tape and JS around the kernels).
 * Options: --batch B (default 32: one thread's half of the 64-image batch), --steps N (profiled steps,
 * default 5), --backend wasm|cpu.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { warmData, yardstickConfig } from '../src/cli/bench.ts';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { type BackendName, useBackend } from '../src/engine/backend.ts';
import { cpuEngine } from '../src/engine/kernels/wasm/register.ts';
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
const config = yardstickConfig({ batchSize: batch, backend: values.backend as BackendName, steps: 1 });
await useBackend(config.backend);

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
let profiling = false;
let depth = 0;
const totals = new Map<string, { ms: number; wall: number; calls: number }>();
for (const kernel of tf.getKernelsForBackend(tf.getBackend())) {
  const inner = kernel.kernelFunc;
  tf.unregisterKernel(kernel.kernelName, kernel.backendName);
  tf.registerKernel({
    ...kernel,
    kernelFunc: (args) => {
      // a kernel that runs others through the registry is timed once, as a whole
      if (!profiling || depth > 0) return inner(args);
      const inputs = Object.values(args.inputs).filter((t) => t != null) as tf.TensorInfo[];
      const shapes = inputs.map((t) => `[${t.shape}]`);
      const key = `${kernel.kernelName} ${shapes.join(' ')}`;
      const c0 = cpuMs();
      const w0 = performance.now();
      depth++;
      try {
        return inner(args);
      } finally {
        depth--;
        const entry = totals.get(key) ?? { ms: 0, wall: 0, calls: 0 };
        entry.ms += cpuMs() - c0;
        entry.wall += performance.now() - w0;
        entry.calls += 1;
        totals.set(key, entry);
      }
    },
  });
}

const session = buildSession(config);
warmData(session.data);
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
const steps = Number(values.steps);
let stepCpu = 0;
let stepWall = 0;
for (let k = 0; k < steps; k++) {
  profiling = true;
  const c0 = cpuMs();
  const w0 = performance.now();
  step(k);
  stepCpu += cpuMs() - c0;
  stepWall += performance.now() - w0;
  profiling = false;
}
const rows = [...totals.entries()].sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((s, [, e]) => s + e.ms, 0) / steps;
const fixed = (x: number, d = 2) => Number(x.toFixed(d));
process.stdout.write(
  `${JSON.stringify({
    backend: tf.getBackend(),
    engine: cpuEngine(),
    batch,
    step_cpu_ms: fixed(stepCpu / steps),
    step_wall_ms: fixed(stepWall / steps),
    kernel_cpu_ms: fixed(kernelMs),
    outside_kernels_cpu_ms: fixed(stepCpu / steps - kernelMs),
  })}\n`,
);
for (const [key, e] of rows) {
  const ms = e.ms / steps;
  if (ms < 0.05) continue;
  process.stdout.write(
    `${JSON.stringify({ kernel: key, ms: fixed(ms), wall_ms: fixed(e.wall / steps), share: fixed(ms / kernelMs, 3), calls: e.calls / steps })}\n`,
  );
}
