import type { Rng } from '../engine/rng.ts';
import type { CodeBatch, CodeSource } from './code-source.ts';
import {
  featureImportances,
  fitGradientBoosting,
  type GradientBoostingOptions,
  predictGradientBoosting,
} from './gradient-boosting.ts';
import { column } from './representation.ts';

/**
 * DCI (Eastwood & Williams 2018), disentanglement_lib's version: one gradient-boosted-trees classifier
 * per factor on the codes; R[code][factor] = its feature importances. Disentanglement = Σ_i ρ_i (1 − H_K(P_i))
 * with P_i the row i of R normalised, K the number of factors, ρ_i the row's share of R; completeness
 * likewise per factor (base = number of codes); informativeness = the classifiers' train/test accuracy.
 * The classifier is scikit-learn's `GradientBoostingClassifier()` (gradient-boosting.ts). Where several codes
 * split a node equally well (identical or sign-flipped codes, tiny nodes) scikit-learn draws one at random
 * (disentanglement_lib sets no seed); we share the importance between them instead, so R, D, C and the train
 * accuracy do not depend on the order of the codes.
 */
export interface DciOptions {
  numTrain: number;
  numTest: number;
  stages: number;
}
export const DCI_DEFAULTS: DciOptions = { numTrain: 10_000, numTest: 5_000, stages: 100 };

export interface DciResult {
  disentanglement: number;
  completeness: number;
  informativenessTrain: number;
  informativenessTest: number;
  /** R, [code][factor] */
  importance: number[][];
}

/** scipy.stats.entropy of (p + 1e-11) normalised, in base `base` (what disentanglement_lib computes). */
function entropy(p: number[], base: number): number {
  const shifted = p.map((v) => v + 1e-11);
  const total = shifted.reduce((a, b) => a + b, 0);
  return -shifted.reduce((s, v) => s + (v / total) * Math.log(v / total), 0) / Math.log(base);
}

export function dciFromImportance(importance: number[][]): { disentanglement: number; completeness: number } {
  const codes = importance.length;
  const factors = importance[0].length;
  const total = importance.flat().reduce((a, b) => a + b, 0);
  const weights = total === 0 ? importance.map((row) => row.map(() => 1)) : importance;
  const weightTotal = weights.flat().reduce((a, b) => a + b, 0);
  let disentanglement = 0;
  importance.forEach((row, i) => {
    const share = weights[i].reduce((a, b) => a + b, 0) / weightTotal;
    disentanglement += share * (1 - entropy(row, factors));
  });
  let completeness = 0;
  for (let f = 0; f < factors; f++) {
    const col = importance.map((row) => row[f]);
    const share = weights.reduce((s, row) => s + row[f], 0) / weightTotal;
    completeness += share * (1 - entropy(col, codes));
  }
  return { disentanglement, completeness };
}

export function dciFromSamples(
  train: CodeBatch,
  test: CodeBatch,
  dim: number,
  numFactors: number,
  options: Partial<GradientBoostingOptions> = {},
): DciResult {
  const importance = Array.from({ length: dim }, () => new Array<number>(numFactors).fill(0));
  let informativenessTrain = 0;
  let informativenessTest = 0;
  for (let f = 0; f < numFactors; f++) {
    const labels = column(train.factors, train.n, numFactors, f);
    const model = fitGradientBoosting(train.codes, labels, dim, options);
    featureImportances(model).forEach((v, d) => {
      importance[d][f] = Math.abs(v);
    });
    const accuracy = (batch: CodeBatch) => {
      const predicted = predictGradientBoosting(model, batch.codes, batch.n);
      let correct = 0;
      for (let i = 0; i < batch.n; i++) if (predicted[i] === batch.factors[i * numFactors + f]) correct++;
      return correct / batch.n;
    };
    informativenessTrain += accuracy(train) / numFactors;
    informativenessTest += accuracy(test) / numFactors;
  }
  return { ...dciFromImportance(importance), informativenessTrain, informativenessTest, importance };
}

export function dci(source: CodeSource, rng: Rng, options: Partial<DciOptions> = {}): DciResult {
  const o = { ...DCI_DEFAULTS, ...options };
  const [train, test] = source.samples([o.numTrain, o.numTest], rng);
  return dciFromSamples(train, test, source.dim, source.factorSizes.length, { stages: o.stages });
}
