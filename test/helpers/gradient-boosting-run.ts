/**
 * A 3-class gradient-boosting fit with tied and near-tied features: its trees, training predictions, raw
 * scores and predictions on fresh rows, as one string (JSON keeps every float64). Run as a script it prints
 * that string and whether the native tree loops loaded, so a test can compare a process without the addon.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/engine/rng.ts';
import {
  decisionFunction,
  fitGradientBoostingPredicting,
  predictGradientBoosting,
} from '../../src/metrics/gradient-boosting.ts';
import { treeKernels } from '../../src/metrics/native-metrics.ts';

export function gradientBoostingRun(): string {
  const rng = new Rng(11);
  const [n, F] = [400, 5];
  const x = new Float64Array(2 * n * F);
  for (let i = 0; i < 2 * n; i++) {
    const a = rng.normal();
    x[i * F] = a;
    x[i * F + 1] = -a;
    x[i * F + 2] = Math.round(rng.normal() * 2);
    x[i * F + 3] = 1e-8 * rng.int(3);
    x[i * F + 4] = rng.normal();
  }
  const labels = Array.from({ length: n }, (_, i) =>
    x[i * F] + 0.5 * x[i * F + 2] > 0.4 ? 2 : x[i * F + 4] > 0 ? 1 : 0,
  );
  const train = x.subarray(0, n * F);
  const { model, predicted } = fitGradientBoostingPredicting(train, labels, F, { stages: 8 });
  const list = (a: ArrayLike<number>) => Array.from(a);
  return JSON.stringify({
    trees: model.trees.map((stage) =>
      stage.map((t) => [t.feature, t.threshold, t.left, t.right, t.value].map(list)),
    ),
    init: list(model.init),
    importances: list(model.importances),
    raw: list(model.rawImportances),
    predicted: list(predicted),
    scores: list(decisionFunction(model, train, n)),
    fresh: list(predictGradientBoosting(model, x.subarray(n * F), n)),
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(
    `${JSON.stringify({ native: treeKernels() !== undefined, run: gradientBoostingRun() })}\n`,
  );
}
