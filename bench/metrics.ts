/**
 * `npm run bench:metrics`: the full metrics suite at disentanglement_lib's default sizes on a 10-dim
 * representation of 15,000 points with dSprites' factors, in Untangle and in Python with numpy/scikit-learn
 * (bench/metrics_peer.py, Debian's python3-sklearn), alternated in one run so both see the same machine
 * load. Prints one JSON line per measurement and a summary line with the time ratio (Python / Untangle).
 * Options: --rounds N (default 2), --metrics a,b (default: every metric both implement).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import { poolSource } from '../src/metrics/code-source.ts';
import { headlines, METRICS, runMetrics } from '../src/metrics/suite.ts';

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

// A 10-dim code of dSprites' factors: five dims each track one factor (nonlinearly, with noise), one mixes
// two factors, four are correlated noise.
const sizes = [3, 6, 40, 32, 32];
const n = 15_000;
const dim = 10;
const rng = new Rng(1);
const factors = new Int32Array(n * sizes.length);
const codes = new Float64Array(n * dim);
for (let i = 0; i < n; i++) {
  const f = sizes.map((s) => rng.int(s));
  factors.set(f, i * sizes.length);
  const row = codes.subarray(i * dim, (i + 1) * dim);
  f.forEach((v, j) => {
    row[j] = Math.tanh((2 * v) / (sizes[j] - 1) - 1) + 0.1 * rng.normal();
  });
  row[5] = (f[3] - f[4]) / 16 + 0.2 * rng.normal();
  const shared = rng.normal();
  for (let d = 6; d < dim; d++) row[d] = 0.5 * shared + rng.normal();
}
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
];
const names = (values.metrics?.split(',') ?? Object.keys(METRICS)).filter(
  (m) => m in METRICS && peerMetrics.includes(m),
);

const totals = { untangle: [] as number[], python: [] as number[] };
for (let round = 0; round < Number(values.rounds); round++) {
  const started = performance.now();
  const runs = runMetrics(poolSource(codes, factors, n, dim), names, round);
  const total = (performance.now() - started) / 1000;
  totals.untangle.push(total);
  const seconds = Object.fromEntries(Object.entries(runs).map(([m, r]) => [m, r.seconds]));
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
  print({ ...peer, round });
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
print({
  summary: 'metrics suite, 15,000 points x 10 dims, disentanglement_lib default sizes',
  metrics: names,
  untangle_median_s: median(totals.untangle),
  python_median_s: median(totals.python),
  ratio_python_over_untangle: median(totals.python) / median(totals.untangle),
});

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
