import { resolve } from 'node:path';
import type { Command } from 'commander';
import { finiteValues, integerValues, readArrayFile } from '../io/array-file.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { checkOutputFile } from '../io/out-dir.ts';
import { poolSource } from '../metrics/code-source.ts';
import { headlines, parseMetricNames, parseMetricSettings, runMetrics } from '../metrics/suite.ts';
import { UsageError } from './errors.ts';
import { printMetricTable } from './metric-table.ts';
import { collect, intOption } from './options.ts';

interface MetricsFlags {
  codes: string;
  factors: string;
  metrics?: string;
  seed: number;
  set: string[];
  json?: boolean;
  out?: string;
}

export function register(program: Command): void {
  program
    .command('metrics')
    .description('score any model from its codes and the ground-truth factors of the same points (.npy/.npz)')
    .requiredOption('--codes <file>', 'codes [n, dim]: .npy, .npz or FILE.npz:NAME (float or int)')
    .requiredOption(
      '--factors <file>',
      'discrete factors [n, k] or [n]: .npy, .npz or FILE.npz:NAME (integer)',
    )
    .option('--metrics <list>', 'comma-separated metric names (default: all)')
    .option('--seed <n>', 'seed of every draw the metrics make', intOption('--seed'), 0)
    .option('--set <metric.option=value>', 'override a metric default, e.g. mig.numTrain=2000', collect, [])
    .option('--json', 'print the results as JSON')
    .option('--out <file>', 'also write the results as JSON to this file')
    .action(async (flags: MetricsFlags) => {
      if (flags.out) await checkOutputFile(flags.out);
      const metrics = parseMetricNames(flags.metrics);
      const overrides = parseMetricSettings(flags.set, metrics);
      const codes = readArrayFile(flags.codes, '--codes');
      const factors = readArrayFile(flags.factors, '--factors');
      if (codes.shape.length !== 2) {
        throw new UsageError(`--codes ${flags.codes}: shape [${codes.shape}], expected [n, dim]`);
      }
      if (factors.shape.length !== 1 && factors.shape.length !== 2) {
        throw new UsageError(`--factors ${flags.factors}: shape [${factors.shape}], expected [n, k] or [n]`);
      }
      const [rows, dim] = codes.shape;
      if (dim < 1)
        throw new UsageError(`--codes ${flags.codes}: shape [${codes.shape}], expected at least 1 column`);
      if (factors.shape.length === 2 && factors.shape[1] < 1) {
        throw new UsageError(
          `--factors ${flags.factors}: shape [${factors.shape}], expected at least 1 column`,
        );
      }
      if (factors.shape[0] !== rows) {
        throw new UsageError(
          `--factors ${flags.factors}: ${factors.shape[0]} rows, expected ${rows} like --codes ${flags.codes}`,
        );
      }
      if (rows < 10) throw new UsageError(`--codes ${flags.codes}: ${rows} rows, expected at least 10`);
      const source = poolSource(
        finiteValues(codes, flags.codes),
        integerValues(factors, flags.factors),
        rows,
        dim,
      );
      const runs = runMetrics(source, metrics, flags.seed, overrides, (name, run) =>
        process.stderr.write(`${name}: ${run.seconds.toFixed(1)} s\n`),
      );
      const report = {
        codes: resolve(flags.codes),
        factors: resolve(flags.factors),
        points: rows,
        seed: flags.seed,
        migVariant: 'discretized (disentanglement_lib): 20 equal-width bins of each code',
        headline: headlines(runs),
        metrics: runs,
      };
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (flags.out) {
        await writeFileAtomic(flags.out, json).catch((err: NodeJS.ErrnoException) => {
          throw new UsageError(`--out ${flags.out}: cannot write it (${err.code ?? err.message})`);
        });
      }
      if (flags.json) process.stdout.write(json);
      else printMetricTable({ codes: runs });
    });
}
