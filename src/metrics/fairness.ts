import type { Rng } from '../engine/rng.ts';
import { type CodeSource, refuseContinuous } from './code-source.ts';
import { fitGradientBoosting, predictGradientBoosting } from './gradient-boosting.ts';
import { column } from './representation.ts';

/**
 * Unfairness of downstream classifiers (Locatello, Abbati, Rainforth, Bauer, Schölkopf & Bachem 2019, "On
 * the fairness of disentangled representations"), disentanglement_lib's version: per target factor i a
 * gradient-boosted-trees classifier on `numTrain` codes; per sensitive factor j ≠ i, `numTestPointsPerClass`
 * random factor combinations are intervened on — factor j set to each of its values c in turn — and the
 * predictions counted. With P the distribution of predictions over all interventions and P_c that under
 * j = c, the total variation TV_c = ½ Σ |P_c − P|; unfairness[i][j] = Σ_c TV_c · n_c / n (mean) and max_c TV_c
 * (max). Reported as the mean over targets of the mean (and max) over sensitive factors; 0 is fair.
 */
export interface FairnessOptions {
  numTrain: number;
  numTestPointsPerClass: number;
  stages: number;
}
export const FAIRNESS_DEFAULTS: FairnessOptions = {
  numTrain: 10_000,
  numTestPointsPerClass: 100,
  stages: 100,
};

export interface FairnessResult {
  /** mean over targets of the mean over sensitive factors of the mean unfairness */
  meanFairness: number;
  /** mean over targets of the max over sensitive factors of the max unfairness */
  maxFairness: number;
  /** [target][sensitive], null on the diagonal */
  mean: (number | null)[][];
  max: (number | null)[][];
}

/** Mean and max total variation between the predictions per sensitive value and overall; counts[pred][value]. */
export function interGroupFairness(counts: number[][]): { mean: number; max: number } {
  const predictions = counts.length;
  const values = counts[0].length;
  const total = counts.flat().reduce((a, b) => a + b, 0);
  const overall = counts.map((row) => row.reduce((a, b) => a + b, 0) / total);
  let mean = 0;
  let max = 0;
  for (let c = 0; c < values; c++) {
    const inGroup = counts.reduce((s, row) => s + row[c], 0);
    if (inGroup === 0) continue;
    let tv = 0;
    for (let p = 0; p < predictions; p++) tv += Math.abs(counts[p][c] / inGroup - overall[p]) / 2;
    mean += (tv * inGroup) / total;
    max = Math.max(max, tv);
  }
  return { mean, max };
}

export function fairness(
  source: CodeSource,
  rng: Rng,
  options: Partial<FairnessOptions> = {},
): FairnessResult {
  const o = { ...FAIRNESS_DEFAULTS, ...options };
  refuseContinuous(source, 'fairness', 'it classifies every factor and intervenes on its exact values');
  const { factorSizes, dim } = source;
  const k = factorSizes.length;
  const [train] = source.samples([o.numTrain], rng);
  const mean: (number | null)[][] = Array.from({ length: k }, () => new Array(k).fill(null));
  const max: (number | null)[][] = Array.from({ length: k }, () => new Array(k).fill(null));
  for (let i = 0; i < k; i++) {
    const model = fitGradientBoosting(train.codes, column(train.factors, train.n, k, i), dim, {
      stages: o.stages,
    });
    for (let j = 0; j < k; j++) {
      if (i === j) continue;
      const original = source.sample(o.numTestPointsPerClass, rng).factors;
      const counts = Array.from({ length: factorSizes[i] }, () => new Array<number>(factorSizes[j]).fill(0));
      for (let c = 0; c < factorSizes[j]; c++) {
        const intervened = Int32Array.from(original);
        for (let p = 0; p < o.numTestPointsPerClass; p++) intervened[p * k + j] = c;
        const batch = source.sampleWithFactors(intervened, rng);
        for (const predicted of predictGradientBoosting(model, batch.codes, batch.n)) counts[predicted][c]++;
      }
      ({ mean: mean[i][j], max: max[i][j] } = interGroupFairness(counts));
    }
  }
  const overTargets = (table: (number | null)[][], reduce: (v: number[]) => number) => {
    const rows = table.map((row) => reduce(row.filter((v): v is number => v != null)));
    return rows.reduce((a, b) => a + b, 0) / rows.length;
  };
  const average = (v: number[]) => (v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  return {
    meanFairness: overTargets(mean, average),
    maxFairness: overTargets(max, (v) => (v.length > 0 ? Math.max(...v) : 0)),
    mean,
    max,
  };
}
