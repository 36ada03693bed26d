import { resolve } from 'node:path';
import type { Command } from 'commander';
import { finiteValues, readArrayFile } from '../io/array-file.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { checkOutputFile } from '../io/out-dir.ts';
import { poolSource } from '../metrics/code-source.ts';
import { migVariantLabel } from '../metrics/mig.ts';
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
  factorNames?: string;
  continuous?: string;
  bins: number;
  logVariances?: string;
}

/** --log-variances: the posteriors' log-variances, the shape of --codes (whose rows are their means). */
function logVariancesOf(file: string | undefined, shape: readonly number[]): Float64Array | undefined {
  if (file == null) return undefined;
  const array = readArrayFile(file, '--log-variances');
  if (array.shape.join(',') !== shape.join(',')) {
    throw new UsageError(`--log-variances ${file}: shape [${array.shape}], expected [${shape}] like --codes`);
  }
  return finiteValues(array, file);
}

/** Names of the factor columns: --factor-names, else factor0, factor1, … */
function factorNamesOf(list: string | undefined, k: number): string[] {
  if (list == null) return Array.from({ length: k }, (_, j) => `factor${j}`);
  const names = list.split(',').map((s) => s.trim());
  if (names.length !== k || names.some((s) => s === '') || new Set(names).size !== k) {
    throw new UsageError(
      `--factor-names ${list}: expected ${k} distinct comma-separated names, one per factor column`,
    );
  }
  return names;
}

/** --continuous: factor names or 0-based column numbers → column indices. */
function continuousColumns(list: string | undefined, names: string[]): number[] {
  if (list == null) return [];
  const columns = list.split(',').map((item) => {
    const name = item.trim();
    const index = names.indexOf(name);
    if (index >= 0) return index;
    if (/^\d+$/.test(name) && Number(name) < names.length) return Number(name);
    throw new UsageError(
      `--continuous ${list}: "${name}" is not a factor, expected names of ${names.join(', ')} or column numbers 0..${names.length - 1}`,
    );
  });
  return [...new Set(columns)].sort((a, b) => a - b);
}

export function register(program: Command): void {
  program
    .command('metrics')
    .description('score any model from its codes and the ground-truth factors of the same points (.npy/.npz)')
    .requiredOption('--codes <file>', 'codes [n, dim]: .npy, .npz or FILE.npz:NAME (float or int)')
    .requiredOption(
      '--factors <file>',
      'factors [n, k] or [n]: .npy, .npz or FILE.npz:NAME (integer, or any number in --continuous columns)',
    )
    .option(
      '--factor-names <list>',
      'comma-separated names of the factor columns (default factor0, factor1, …)',
    )
    .option(
      '--continuous <list>',
      'continuous factors (names or 0-based columns): regressed where a metric fits a classifier, in --bins bins where it counts',
    )
    .option(
      '--log-variances <file>',
      "log-variances of the posteriors whose means --codes holds (for mig.estimator=1, Chen et al.'s MIG)",
    )
    .option(
      '--bins <n>',
      'histogram bins of each continuous factor (disentanglement_lib: 20)',
      intOption('--bins'),
      20,
    )
    .option(
      '--metrics <list>',
      'comma-separated metric names, or all (default: all but fairness, downstream-logistic, downstream-gbt)',
    )
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
      const k = factors.shape.length === 2 ? factors.shape[1] : 1;
      const names = factorNamesOf(flags.factorNames, k);
      const continuous = continuousColumns(flags.continuous, names);
      if (flags.bins < 2) throw new UsageError(`--bins ${flags.bins}: expected at least 2`);
      const values = finiteValues(factors, flags.factors);
      const fractional = values.findIndex(
        (v, i) => !continuous.includes(i % k) && (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1),
      );
      if (fractional >= 0) {
        const row = Math.floor(fractional / k);
        throw new UsageError(
          `--factors ${flags.factors}: value ${values[fractional]} in row ${row} of factor ${names[fractional % k]} (expected integer factor values; name a continuous factor in --continuous)`,
        );
      }
      const source = poolSource(finiteValues(codes, flags.codes), values, rows, dim, names, {
        continuous: { columns: continuous, bins: flags.bins },
        logVariances: logVariancesOf(flags.logVariances, codes.shape),
      });
      // metrics named in --metrics must apply; of the default set, those that cannot are left out, said
      const skipped: Record<string, string> = {};
      const runs = runMetrics(
        source,
        metrics,
        flags.seed,
        overrides,
        (name, run) => process.stderr.write(`${name}: ${run.seconds.toFixed(1)} s\n`),
        flags.metrics == null
          ? (name, reason) => {
              skipped[name] = reason;
              process.stderr.write(`${name}: left out, ${reason}\n`);
            }
          : undefined,
      );
      const report = {
        codes: resolve(flags.codes),
        factors: resolve(flags.factors),
        points: rows,
        seed: flags.seed,
        factorNames: names,
        continuous: continuous.map((j) => names[j]),
        ...(continuous.length > 0 ? { bins: flags.bins } : {}),
        migVariant: migVariantLabel(overrides.mig),
        ...(Object.keys(skipped).length > 0 ? { skipped } : {}),
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
