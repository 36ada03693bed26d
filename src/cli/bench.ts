import type { Command } from 'commander';
import { sampleBatch } from '../data/ground-truth.ts';
import { BACKENDS, type BackendName, useBackend, webgpuAdapterInfo } from '../engine/backend.ts';
import { cpuEngine } from '../engine/kernels/wasm/register.ts';
import { Rng } from '../engine/rng.ts';
import { resolveTrainConfig, type TrainConfig } from '../run/config.ts';
import { buildSession } from '../train/session.ts';
import { trainStep } from '../train/trainer.ts';
import { createUpdate } from '../train/update/select.ts';
import { intOption } from './options.ts';

/** Forward + backward FLOPs of one yardstick image (DESIGN §1: 6.24 GFLOP per batch of 64). */
const FLOP_PER_IMAGE = 6.244073472e9 / 64;

interface BenchFlags {
  json?: boolean;
  backend: BackendName;
  threads: number;
  batch: number;
  steps: number;
  warmup: number;
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('time training steps of the yardstick model (conv64 with 4x4 kernels, z=10, β=4, Adam 1e-4)')
    .option('--json', 'print one JSON line')
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`, 'wasm')
    .option('--threads <n>', 'worker threads (data parallel)', intOption('--threads'), 2)
    .option('--batch <n>', 'batch size', intOption('--batch'), 64)
    .option('--steps <n>', 'timed steps', intOption('--steps'), 30)
    .option('--warmup <n>', 'untimed steps first', intOption('--warmup'), 5)
    .action(async (flags: BenchFlags) => {
      const result = await benchYardstick(flags);
      if (flags.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else {
        process.stdout.write(
          `${result.impl} ${result.backend} (${result.engine}) x${result.threads}: ${result.median_ms} ms/step, ${result.img_per_s} img/s, ${result.gflop_per_s} GFLOP/s, peak RSS ${result.peak_rss_mib} MiB\n`,
        );
      }
    });
}

/** The yardstick (DESIGN §1: β-VAE β = 4, conv64 with 4x4 kernels, on dSprites), with `settings` on top. */
export function yardstickConfig(settings: Record<string, unknown>): TrainConfig {
  return resolveTrainConfig({
    model: 'beta-vae',
    dataset: 'dsprites',
    innerKernel: 4,
    modelOptions: { beta: 4 },
    ...settings,
  });
}

export async function benchYardstick(flags: Omit<BenchFlags, 'json'>) {
  const config = yardstickConfig({
    batchSize: flags.batch,
    backend: flags.backend,
    threads: flags.threads,
    steps: flags.warmup + flags.steps,
  });
  await useBackend(config.backend);
  const session = buildSession(config);
  warmData(session.data);
  const update = await createUpdate(session.task);
  const times: number[] = [];
  let cpuMs = 0;
  let loss = 0;
  try {
    for (let step = 0; step < config.steps; step++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      loss = (await trainStep(session, session.rng, step, update)).total;
      if (step >= flags.warmup) {
        times.push(performance.now() - t0);
        const { user, system } = process.cpuUsage(c0);
        cpuMs += (user + system) / 1000;
      }
    }
  } finally {
    await update.close();
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  return {
    impl: 'untangle',
    backend: config.backend,
    engine: config.backend === 'wasm' ? cpuEngine() : config.backend,
    // webgpu: the adapter it ran on; SwiftShader is a CPU, not a GPU figure
    ...(config.backend === 'webgpu' && {
      adapter: webgpuAdapterInfo()?.description,
      adapter_software: webgpuAdapterInfo()?.software,
    }),
    threads: config.threads,
    batch: config.batchSize,
    steps: flags.steps,
    median_ms: round(median, 2),
    img_per_s: round((config.batchSize / median) * 1000, 1),
    gflop_per_s: round((FLOP_PER_IMAGE * config.batchSize) / median / 1e6, 2),
    // CPU time of every thread per step: what the step costs whatever share of the cores it was given
    cpu_ms_per_step: round(cpuMs / flags.steps, 2),
    peak_rss_mib: Math.round(process.resourceUsage().maxRSS / 1024),
    final_loss: round(loss, 3),
  };
}

/**
 * Draws 4,096 observations (in batches of 256, from an RNG of its own) before timing: dSprites caches
 * each of its 720 sprite masks when first drawn, which would otherwise fall in the timed steps of a
 * short benchmark but not in the steady state of a training run.
 */
export function warmData(data: Parameters<typeof sampleBatch>[0]): void {
  const rng = new Rng(12345);
  for (let i = 0; i < 16; i++) sampleBatch(data, 256, rng);
}

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}
