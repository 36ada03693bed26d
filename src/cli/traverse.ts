import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { loadRun } from '../run/load-run.ts';
import { writeRunPictures } from '../viz/run-pictures.ts';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';

/** Traversal columns at most: each is one decoded image per latent dim. */
const MAX_STEPS = 100;

interface TraverseFlags {
  seedIndex: number;
  steps: number;
  range: string;
  backend?: BackendName;
}

export function register(program: Command): void {
  program
    .command('traverse')
    .argument('<run>', 'run folder written by `untangle train`')
    .description('write traversal.png/.gif, reconstructions.png and samples.png for a trained run')
    .option(
      '--seed-index <i>',
      'which of the sampled seed images to traverse around',
      intOption('--seed-index'),
      0,
    )
    .option('--steps <n>', 'traversal columns', intOption('--steps'), 10)
    .option('--range <r>', 'traverse μ ± r prior standard deviations', '2')
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .action(async (runDir: string, flags: TraverseFlags) => {
      const range = Number(flags.range);
      if (!(range > 0 && Number.isFinite(range)))
        throw new UsageError(`--range expects a positive number, got "${flags.range}"`);
      if (flags.steps < 1 || flags.steps > MAX_STEPS)
        throw new UsageError(`--steps expects 1 to ${MAX_STEPS} traversal columns, got ${flags.steps}`);
      const { config, model, data } = await loadRun(runDir, flags.backend);
      const written = await writeRunPictures(model, data, runDir, config.seed, {
        seedIndex: flags.seedIndex,
        steps: flags.steps,
        range,
      });
      process.stdout.write(`${written.join('\n')}\n`);
    });
}
