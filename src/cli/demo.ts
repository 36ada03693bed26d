import { join } from 'node:path';
import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { runTraining } from '../jobs/run-training.ts';
import { evaluateRun } from '../metrics/evaluate-run.ts';
import { latentFactors } from '../metrics/latent-factors.ts';
import type { MigResult } from '../metrics/mig.ts';
import { resolveTrainConfig } from '../run/config.ts';
import { loadRun, saveRunConfig } from '../run/load-run.ts';
import { readLog } from '../run/log.ts';
import { QUICK_RECIPE } from '../sweep/study-budgets.ts';
import { writeRunPictures } from '../viz/run-pictures.ts';
import { demoReport, factorNote } from './demo-report.ts';
import { intOption } from './options.ts';
import { prepareRunDir } from './run-dir.ts';

/**
 * β-TCVAE (β = 10) with the quick recipe: at 1,500 steps it names posX, posY and scale where the β-VAE
 * (β = 4, 8) still held them rotated (docs/fidelity.md). One thread by default: β-TCVAE's q(z) estimate
 * is over the minibatch, and threads split the batch, so with T threads it sees 64 / T samples.
 */
export const DEMO_RECIPE = {
  model: 'beta-tcvae',
  dataset: 'dsprites',
  ...QUICK_RECIPE,
  threads: 1,
  modelOptions: { beta: 10 },
} as const;

/** Metric sample sizes that take about a minute together; disentanglement_lib's are far larger. */
export const DEMO_METRIC_SAMPLES = {
  mig: { numTrain: 10_000 },
  'factor-vae-score': { numTrain: 500, numEval: 300, numVarianceEstimate: 5_000 },
};

interface DemoFlags {
  out?: string;
  steps: number;
  threads: number;
  seed: number;
  backend: BackendName;
  overwrite?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'train a β-TCVAE on dSprites (1,500 steps), score it (MIG, FactorVAE score), name the factor of each dim, print report.md',
    )
    .option('--out <dir>', 'run folder (default runs/demo-<time>)')
    .option('--steps <n>', 'training steps', intOption('--steps'), DEMO_RECIPE.steps)
    .option(
      '--threads <n>',
      'threads splitting each batch (data parallel; β-TCVAE then estimates q(z) on each thread’s share)',
      intOption('--threads'),
      DEMO_RECIPE.threads,
    )
    .option('--seed <s>', 'seed of every random draw', intOption('--seed'), 0)
    .option(
      '--backend <name>',
      `engine backend: ${BACKENDS.join(', ')} (webgpu trains on the GPU; scoring and pictures run on wasm)`,
      'wasm',
    )
    .option('--overwrite', 'replace an existing run folder')
    .action(async (flags: DemoFlags) => {
      const out =
        flags.out ?? join('runs', `demo-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}`);
      const config = resolveTrainConfig({
        ...DEMO_RECIPE,
        steps: flags.steps,
        seed: flags.seed,
        threads: flags.threads,
        backend: flags.backend,
        checkpointEvery: 500,
      });
      await prepareRunDir(out, Boolean(flags.overwrite));
      await saveRunConfig(out, config);
      const began = Date.now();
      await runTraining(config, out, false);
      process.stderr.write('demo: scoring (MIG, FactorVAE score) and naming the factors...\n');
      const report = await writeDemoReport(out, began);
      process.stdout.write(`${report}\ndemo run: ${out} (report.md, traversal.png, traversal.gif, ...)\n`);
    });
}

/** Scores a trained demo run, redraws its traversals with each dim's factor, writes and returns report.md. */
export async function writeDemoReport(runDir: string, began: number): Promise<string> {
  const metrics = await evaluateRun(runDir, {
    metrics: ['mig', 'factor-vae-score'],
    kinds: ['mean'],
    seed: 0,
    overrides: DEMO_METRIC_SAMPLES,
    posterior: true,
  });
  const { config, model, data } = await loadRun(runDir);
  const posterior = metrics.posterior!;
  const active = posterior.klPerDim
    .map((kl, dim) => ({ kl, dim }))
    .filter(({ dim }) => posterior.meanVariance[dim] > posterior.activeThreshold)
    .sort((a, b) => b.kl - a.kl)
    .map(({ dim }) => dim);
  const mig = metrics.codes.mean!.mig.result as MigResult;
  const factors = latentFactors(mig.mutualInformation, mig.factorEntropy, data.factorNames, active);
  await writeRunPictures(model, data, runDir, config.seed, {
    dimNotes: Object.fromEntries(factors.map((f) => [f.dim, factorNote(f)])),
  });
  const fv = DEMO_METRIC_SAMPLES['factor-vae-score'];
  const text = demoReport({
    title: `Untangle demo: β-TCVAE (β = ${config.modelOptions.beta}) on dSprites`,
    recipe: `learning rate ${config.learningRate}, batch ${config.batchSize}, β = ${config.modelOptions.beta}, ${config.threads} threads`,
    seconds: (Date.now() - began) / 1000,
    batchSize: config.batchSize,
    log: readLog(runDir),
    klPerDim: posterior.klPerDim,
    factors,
    factorNames: data.factorNames,
    mig: metrics.headline.mig,
    migSample: `${DEMO_METRIC_SAMPLES.mig.numTrain.toLocaleString('en')} points`,
    factorVaeScore: metrics.headline['factor-vae-score'],
    factorVaeSample: `${fv.numTrain} train / ${fv.numEval} eval votes of batch 64, variance from ${fv.numVarianceEstimate.toLocaleString('en')} points (disentanglement_lib: 10,000 / 5,000 / 10,000)`,
  });
  await writeFileAtomic(join(runDir, 'report.md'), text);
  return text;
}
