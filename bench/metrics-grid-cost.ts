/**
 * `npx tsx bench/metrics-grid-cost.ts dci,fairness,downstream-logistic,downstream-gbt`: seconds of the named
 * metrics at their defaults on a 15,000-point full grid (3 x 5 x 10 x 10 x 10; fairness needs a grid), 10 dims:
 * five track one factor each, five are noise. What docs/metrics.md quotes for the opt-in metrics' cost.
 */
import { Rng } from '../src/engine/rng.ts';
import { poolSource } from '../src/metrics/code-source.ts';
import { runMetrics } from '../src/metrics/suite.ts';

const sizes = [3, 5, 10, 10, 10];
const n = 15_000;
const dim = 10;
const rng = new Rng(1);
const factors = new Int32Array(n * sizes.length);
const codes = new Float64Array(n * dim);
for (let i = 0; i < n; i++) {
  let rest = i;
  const f = sizes.map(() => 0);
  for (let j = sizes.length - 1; j >= 0; j--) {
    f[j] = rest % sizes[j];
    rest = Math.floor(rest / sizes[j]);
  }
  factors.set(f, i * sizes.length);
  const row = codes.subarray(i * dim, (i + 1) * dim);
  f.forEach((v, j) => {
    row[j] = Math.tanh((2 * v) / (sizes[j] - 1) - 1) + 0.1 * rng.normal();
  });
  for (let d = sizes.length; d < dim; d++) row[d] = rng.normal();
}
const names = (process.argv[2] ?? 'dci,fairness,downstream-logistic,downstream-gbt').split(',');
runMetrics(poolSource(codes, factors, n, dim), names, 0, {}, (name, run) => {
  process.stdout.write(`${JSON.stringify({ metric: name, seconds: run.seconds })}\n`);
});
