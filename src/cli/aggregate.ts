import type { Command } from 'commander';
import { aggregate } from '../sweep/aggregate.ts';
import { readSweepFile } from '../sweep/sweep-file.ts';

export function register(program: Command): void {
  program
    .command('aggregate')
    .argument('<dir>', 'sweep folder')
    .description(
      'results.csv/json (one row per job) and plots/*.svg (metrics per hyperparameter, rank correlations)',
    )
    .action(async (dir: string) => {
      readSweepFile(dir); // a clear error for a folder that is not a sweep
      const written = await aggregate(dir);
      process.stdout.write(`${written.join('\n')}\n`);
    });
}
