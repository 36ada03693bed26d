import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { evaluateRun } from '../metrics/evaluate-run.ts';
import type { CodeKind } from '../metrics/representation.ts';
import { parseMetricNames, parseMetricSettings } from '../metrics/suite.ts';
import { UsageError } from './errors.ts';
import { printMetricTable } from './metric-table.ts';
import { collect, intOption } from './options.ts';

interface EvaluateFlags {
  metrics?: string;
  codes: string;
  seed: number;
  set: string[];
  json?: boolean;
  backend?: BackendName;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .argument('<run>', 'run folder written by `untangle train`')
    .description('score a trained run with the disentanglement metrics; writes metrics.json into the run')
    .option(
      '--metrics <list>',
      'comma-separated metric names, or all (default: all but fairness, downstream-logistic, downstream-gbt)',
    )
    .option('--codes <kinds>', 'which codes to score: mean, sampled or mean,sampled', 'mean,sampled')
    .option('--seed <n>', 'seed of every draw the metrics make', intOption('--seed'), 0)
    .option('--set <metric.option=value>', 'override a metric default, e.g. mig.numTrain=2000', collect, [])
    .option('--json', 'print the report as JSON')
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .action(async (runDir: string, flags: EvaluateFlags) => {
      const metrics = parseMetricNames(flags.metrics);
      const overrides = parseMetricSettings(flags.set, metrics);
      const kinds = flags.codes.split(',').map((k) => k.trim());
      const unknown = kinds.filter((k) => k !== 'mean' && k !== 'sampled');
      if (unknown.length > 0 || kinds.length === 0) {
        throw new UsageError(`--codes ${flags.codes}: expected mean, sampled or mean,sampled`);
      }
      const report = await evaluateRun(runDir, {
        metrics,
        kinds: kinds as CodeKind[],
        seed: flags.seed,
        overrides,
        posterior: true,
        backend: flags.backend,
        onEveryState: (states, threads, seconds) =>
          process.stderr.write(
            `every state encoded once (${states} on ${threads} threads): ${seconds.toFixed(1)} s\n`,
          ),
        onMetric: (kind, name, run) =>
          process.stderr.write(`${name} (${kind} codes): ${run.seconds.toFixed(1)} s\n`),
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        printMetricTable(report.codes, report.posterior);
        for (const d of report.discrete ?? []) {
          process.stdout.write(
            `discrete latent ${d.latent} vs ${d.factor}: accuracy ${d.accuracy.toFixed(4)} (chance ${d.chance.toFixed(3)})\n`,
          );
        }
        const held = report.heldOut;
        if (held) {
          const line = (what: string, p: { accuracy: number; chance: number }) =>
            process.stdout.write(
              `${what}: held-out accuracy ${p.accuracy.toFixed(4)} (most common value ${p.chance.toFixed(3)})\n`,
            );
          if (held.classifier) line(`${held.classifier.factor} by the model's own q(y|x)`, held.classifier);
          for (const [factor, p] of Object.entries(held.codePredictability))
            line(`${factor} from the mean code (logistic regression)`, p);
        }
      }
    });
}
