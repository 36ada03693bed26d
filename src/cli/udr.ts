import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { UDR_DEFAULTS } from '../metrics/udr.ts';
import { sweepUdr } from '../sweep/udr.ts';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';

interface UdrFlags {
  points: number;
  correlation: string;
  seed: number;
  json?: boolean;
  backend?: BackendName;
}

export function register(program: Command): void {
  program
    .command('udr')
    .argument('<sweep>', 'sweep folder with finished runs (several seeds per setting)')
    .description(
      'Unsupervised Disentanglement Ranking (Duan et al. 2020): each run scored by its agreement with the other seeds; writes SWEEP/udr.json',
    )
    .option('--points <n>', 'observations every run encodes', intOption('--points'), UDR_DEFAULTS.numPoints)
    .option('--correlation <kind>', 'lasso (disentanglement_lib) or spearman', UDR_DEFAULTS.correlation)
    .option('--seed <n>', 'seed of the observations drawn', intOption('--seed'), 0)
    .option('--json', 'print udr.json')
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .action(async (dir: string, flags: UdrFlags) => {
      if (flags.correlation !== 'lasso' && flags.correlation !== 'spearman') {
        throw new UsageError(`--correlation ${flags.correlation}: expected lasso or spearman`);
      }
      const report = await sweepUdr(
        dir,
        { numPoints: flags.points, correlation: flags.correlation },
        flags.seed,
        flags.backend,
        (id) => process.stderr.write(`udr: encoded ${id}\n`),
      );
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else
        for (const run of report.runs)
          process.stdout.write(`${run.id}  ${run.udr == null ? '-' : run.udr.toFixed(4)}  ${run.group}\n`);
    });
}
