/**
 * `npm run metrics:variants`: every named variant of a metric (where implementations differ in a way that
 * changes the number) scored on the same fixed codes — bench:metrics' 10-dim code of 15,000 points with
 * dSprites' factor sizes, with posteriors of each dim's own noise for Chen et al.'s MIG — at the same seed,
 * so the table in docs/metrics.md can be reproduced exactly.
 * Prints a Markdown table (and --json: one JSON line per row).
 */
import { parseArgs } from 'node:util';
import { poolSource } from '../src/metrics/code-source.ts';
import { headlines, runMetrics } from '../src/metrics/suite.ts';
import { benchCodes } from './metrics-codes.ts';

const { values } = parseArgs({ options: { json: { type: 'boolean' } } });
const { codes, factors, n, dim, logVariances } = benchCodes();
const source = poolSource(codes, factors, n, dim, undefined, { logVariances });

/** [metric, headline keys, variant, option overrides] — the first row of each metric is its default. */
const rows: [string, string, string, Record<string, number>][] = [
  ['mig', 'mig', 'disentanglement_lib: 20 equal-width bins of each code (default)', {}],
  ['mig', 'mig', '10 bins (Carbonneau et al. 2022 bin their codes so)', { bins: 10 }],
  ['mig', 'mig', '50 bins', { bins: 50 }],
  [
    'mig',
    'mig',
    "Chen et al.'s sampling estimator on q(z|x), 1,000 draws per entropy (`mig.estimator=1`)",
    { estimator: 1 },
  ],
  [
    'dci',
    'dci-disentanglement,dci-completeness',
    'importances normalised per factor, as scikit-learn gives them (default)',
    {},
  ],
  [
    'dci',
    'dci-disentanglement,dci-completeness',
    'unnormalised impurity decreases (`dci.importance=1`)',
    { importance: 1 },
  ],
  ['sap', 'sap', 'discrete mode: single-dim LinearSVC accuracy (default, the study)', {}],
  [
    'sap',
    'sap',
    'continuous mode: squared correlation (`sap.continuousFactors=1`)',
    { continuousFactors: 1 },
  ],
  ['beta-vae-score', 'beta-vae-score', 'LogisticRegression(), C = 1 (default, disentanglement_lib)', {}],
  [
    'beta-vae-score',
    'beta-vae-score',
    "unpenalised linear softmax, the paper's classifier (`beta-vae-score.classifier=1`)",
    { classifier: 1 },
  ],
  ['factor-vae-score', 'factor-vae-score', 'dims of std < 0.05 pruned (default, the study)', {}],
  [
    'factor-vae-score',
    'factor-vae-score',
    'no pruning (`factor-vae-score.pruneThreshold=1e-9`)',
    { pruneThreshold: 1e-9 },
  ],
  ['modularity-explicitness', 'modularity', '20 bins (default)', {}],
  ['modularity-explicitness', 'modularity', '10 bins', { bins: 10 }],
];

const out: {
  metric: string;
  key: string;
  variant: string;
  options: Record<string, number>;
  value: number;
}[] = [];
for (const [metric, keys, variant, options] of rows) {
  const runs = runMetrics(source, [metric], 0, { [metric]: options });
  for (const key of keys.split(',')) {
    const value = headlines(runs)[key];
    out.push({ metric, key, variant, options, value });
    if (values.json) process.stdout.write(`${JSON.stringify(out[out.length - 1])}\n`);
    else process.stderr.write(`${key}: ${variant}: ${value.toFixed(4)}\n`);
  }
}
if (!values.json) {
  process.stdout.write('| metric | variant | value |\n|---|---|---|\n');
  for (const row of out)
    process.stdout.write(
      `| \`${row.key}\` | ${row.variant.replaceAll('|', '\\|')} | ${row.value.toFixed(4)} |\n`,
    );
}
