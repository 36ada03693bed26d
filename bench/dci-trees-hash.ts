/**
 * `tsx bench/dci-trees-hash.ts [--seed 0] [--factors 0,1,2,3,4]`: DCI's gradient-boosted trees on the
 * bench:metrics code (bench/metrics-codes.ts, the rows DCI draws with the suite's seed), one classifier per
 * factor on this thread. Prints per factor the fit and predict times and a SHA-256 of every tree's
 * features, thresholds, children and leaf values, the importances and the predictions, then one hash over
 * all factors: a change to the grower that keeps every number keeps the hash.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { poolSource } from '../src/metrics/code-source.ts';
import { DCI_DEFAULTS } from '../src/metrics/dci.ts';
import { fitGradientBoostingPredicting, predictGradientBoosting } from '../src/metrics/gradient-boosting.ts';
import { column } from '../src/metrics/representation.ts';
import { metricRng } from '../src/metrics/suite.ts';
import { benchCodes, sizes } from './metrics-codes.ts';

const { values } = parseArgs({
  options: { seed: { type: 'string', default: '0' }, factors: { type: 'string' } },
});
const { codes, factors, n, dim } = benchCodes();
const source = poolSource(codes, factors, n, dim);
const [train, test] = source.samples(
  [DCI_DEFAULTS.numTrain, DCI_DEFAULTS.numTest],
  metricRng(Number(values.seed), 'dci'),
);
const chosen = values.factors?.split(',').map(Number) ?? sizes.map((_, f) => f);
const all = createHash('sha256');
for (const f of chosen) {
  const labels = column(train.factors, train.n, sizes.length, f);
  let started = performance.now();
  const cpu = process.cpuUsage();
  const { model, predicted } = fitGradientBoostingPredicting(train.codes, labels, dim);
  const fitSeconds = (performance.now() - started) / 1000;
  const fitCpu = process.cpuUsage(cpu);
  const fitCpuSeconds = (fitCpu.user + fitCpu.system) / 1e6;
  started = performance.now();
  const predictedTrain = predictGradientBoosting(model, train.codes, train.n);
  const predictedTest = predictGradientBoosting(model, test.codes, test.n);
  const predictSeconds = (performance.now() - started) / 1000;
  // the fit's own training predictions (what DCI uses) must be the trees' predictions
  if (predicted.join() !== predictedTrain.join())
    throw new Error(`factor ${f}: the fit's predictions differ`);
  const h = createHash('sha256');
  const add = (a: ArrayBufferView) => h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  add(model.init);
  for (const stage of model.trees) {
    for (const t of stage) [t.feature, t.threshold, t.left, t.right, t.value].forEach(add);
  }
  [model.importances, model.rawImportances, predictedTrain, predictedTest].forEach(add);
  const digest = h.digest('hex');
  all.update(digest);
  const trees = model.trees.reduce((s, stage) => s + stage.length, 0);
  process.stdout.write(
    `${JSON.stringify({ factor: f, classes: model.classes.length, trees, fit_s: fitSeconds, fit_cpu_s: fitCpuSeconds, predict_s: predictSeconds, cpu_ms_per_tree: (1000 * fitCpuSeconds) / trees, sha256: digest })}\n`,
  );
}
process.stdout.write(`${JSON.stringify({ factors: chosen, sha256: all.digest('hex') })}\n`);
