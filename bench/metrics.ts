/**
 * `npm run bench:metrics`: the full metrics suite at disentanglement_lib's default sizes on a 10-dim
 * representation of 15,000 points with dSprites' factors, in Untangle and in Python with numpy/scikit-learn
 * (bench/metrics_peer.py, Debian's python3-sklearn), alternated in one run so both see the same machine
 * load. Prints one JSON line per measurement and a summary line with the time ratio (Python / Untangle).
 * Options: --rounds N (default 2), --metrics a,b (default: every metric both implement).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeNpy } from '../src/io/npy.ts';
import { poolSource } from '../src/metrics/code-source.ts';
import { headlines, METRICS, runMetrics } from '../src/metrics/suite.ts';
import { benchCodes, sizes } from './metrics-codes.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '2' }, metrics: { type: 'string' } },
});
const python = '/usr/bin/python3';
const probe = spawnSync(python, ['-c', 'import sklearn, scipy'], { encoding: 'utf8' });
if (probe.status !== 0) {
  process.stderr.write('bench:metrics needs scikit-learn: apt-get install -y python3-sklearn\n');
  process.exit(2);
}

const { codes, factors, n, dim } = benchCodes();
const dir = mkdtempSync(join(tmpdir(), 'untangle-bench-metrics-'));
const codesPath = join(dir, 'codes.npy');
const factorsPath = join(dir, 'factors.npy');
writeNpy(codesPath, { dtype: 'float64', shape: [n, dim], data: codes });
writeNpy(factorsPath, { dtype: 'int32', shape: [n, sizes.length], data: factors });

const peerMetrics = [
  'beta-vae-score',
  'factor-vae-score',
  'mig',
  'sap',
  'dci',
  'modularity-explicitness',
  'irs',
  'unsupervised',
  'mig-sup',
  'jemmig',
  'dcimig',
  'z-max-var',
  'dci-es',
  'infomec',
];
const names = (values.metrics?.split(',') ?? Object.keys(METRICS)).filter(
  (m) => m in METRICS && peerMetrics.includes(m),
);

// disentanglement_lib's own suite (the first eight), reported on its own beside the whole selection
const dlibMetrics = peerMetrics.slice(0, 8);
const totals = { untangle: [] as number[], python: [] as number[] };
const dlibTotals = { untangle: [] as number[], python: [] as number[] };
const dlibSum = (seconds: Record<string, number>) =>
  Object.entries(seconds).reduce((s, [m, t]) => s + (dlibMetrics.includes(m) ? t : 0), 0);
for (let round = 0; round < Number(values.rounds); round++) {
  const started = performance.now();
  const runs = runMetrics(poolSource(codes, factors, n, dim), names, round);
  const total = (performance.now() - started) / 1000;
  totals.untangle.push(total);
  const seconds = Object.fromEntries(Object.entries(runs).map(([m, r]) => [m, r.seconds]));
  dlibTotals.untangle.push(dlibSum(seconds));
  print({ impl: 'untangle', round, total_s: total, seconds, values: headlines(runs) });

  const out = spawnSync(
    python,
    [join(root, 'bench', 'metrics_peer.py'), codesPath, factorsPath, names.join(',')],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (out.status !== 0) {
    process.stderr.write(`metrics_peer.py failed:\n${out.stderr}`);
    process.exit(1);
  }
  const peer = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}');
  totals.python.push(peer.total_s);
  dlibTotals.python.push(dlibSum(peer.seconds));
  print({ ...peer, round });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
print({
  summary: 'metrics suite, 15,000 points x 10 dims, disentanglement_lib default sizes',
  metrics: names,
  untangle_median_s: median(totals.untangle),
  python_median_s: median(totals.python),
  ratio_python_over_untangle: median(totals.python) / median(totals.untangle),
  dlib_metrics: names.filter((m) => dlibMetrics.includes(m)),
  dlib_ratio_python_over_untangle: median(dlibTotals.python) / median(dlibTotals.untangle),
  load_average: loadavg(),
});

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
