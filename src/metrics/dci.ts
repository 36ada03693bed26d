import type { Rng } from '../engine/rng.ts';
import { type CodeBatch, type CodeSource, factorTarget, withoutPosterior } from './code-source.ts';
import { type FactorTask, factorThreads, perFactor } from './factor-threads.ts';
import {
  featureImportances,
  fitGradientBoostingPredicting,
  type GradientBoostingOptions,
  predictGradientBoosting,
} from './gradient-boosting.ts';
import { fitGradientBoostingRegressor, predictRegression } from './gradient-boosting-regressor.ts';
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
  /**
   * 0: scikit-learn's normalised importances, each factor's summing to 1 (disentanglement_lib); 1: the
   * impurity decreases before that normalisation, so a factor the trees fit better weighs more in ρ (as in
   * the original DCI code, whose R is |Lasso weights|)
   */
  importance: number;
}
export const DCI_DEFAULTS: DciOptions = { numTrain: 10_000, numTest: 5_000, stages: 100, importance: 0 };

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

/** R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² of predictions (scikit-learn's r2_score; 1 for a constant y fitted exactly). */
export function rSquared(y: Float64Array, predicted: Float64Array): number {
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < y.length; i++) {
    residual += (y[i] - predicted[i]) ** 2;
    total += (y[i] - mean) ** 2;
  }
  if (total === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / total;
}

/**
 * One factor's part of DCI: its column of R (the `dim` importances), then its train and test
 * informativeness (accuracy, or R² for a continuous factor).
 */
export function dciFactor(
  train: CodeBatch,
  test: CodeBatch,
  dim: number,
  numFactors: number,
  f: number,
  options: Partial<GradientBoostingOptions>,
  continuous: boolean,
  normalised: boolean,
): Float64Array {
  const out = new Float64Array(dim + 2);
  if (continuous) {
    // a continuous factor: scikit-learn's GradientBoostingRegressor, informativeness its R²
    const model = fitGradientBoostingRegressor(train.codes, factorTarget(train, numFactors, f), dim, options);
    (normalised ? model.importances : model.rawImportances).forEach((v, d) => {
      out[d] = Math.abs(v);
    });
    const score = (batch: CodeBatch) =>
      rSquared(factorTarget(batch, numFactors, f), predictRegression(model, batch.codes, batch.n));
    out[dim] = score(train);
    out[dim + 1] = score(test);
    return out;
  }
  const labels = column(train.factors, train.n, numFactors, f);
  const { model, predicted: trainPredicted } = fitGradientBoostingPredicting(
    train.codes,
    labels,
    dim,
    options,
  );
  (normalised ? featureImportances(model) : model.rawImportances).forEach((v, d) => {
    out[d] = Math.abs(v);
  });
  const accuracy = (batch: CodeBatch) => {
    const predicted = batch === train ? trainPredicted : predictGradientBoosting(model, batch.codes, batch.n);
    let correct = 0;
    for (let i = 0; i < batch.n; i++) if (predicted[i] === batch.factors[i * numFactors + f]) correct++;
    return correct / batch.n;
  };
  out[dim] = accuracy(train);
  out[dim + 1] = accuracy(test);
  return out;
}

/** What dciFactor needs for any factor, as a worker thread receives it. */
export interface DciJob {
  train: CodeBatch;
  test: CodeBatch;
  dim: number;
  numFactors: number;
  options: Partial<GradientBoostingOptions>;
  continuous: boolean[];
  normalised: boolean;
}

export const dciTask: FactorTask<DciJob> = {
  module: import.meta.url,
  name: 'dciTaskRun',
  run: (job, f) => dciTaskRun(job, f),
};
export function dciTaskRun(job: DciJob, f: number): Float64Array {
  const { train, test, dim, numFactors, options, continuous, normalised } = job;
  return dciFactor(train, test, dim, numFactors, f, options, continuous[f], normalised);
}

/** Below this many rows × trees of work a second thread costs more to start than it saves. */
const PARALLEL_WORK = 2e7;

export function dciFromSamples(
  train: CodeBatch,
  test: CodeBatch,
  dim: number,
  numFactors: number,
  options: Partial<GradientBoostingOptions> = {},
  continuous: readonly boolean[] = [],
  normalised = true,
  /** default: 2 where the machine has 2 cores and the fit is large enough to gain from them */
  threads?: number,
): DciResult {
  const job: DciJob = {
    train: withoutPosterior(train),
    test: withoutPosterior(test),
    dim,
    numFactors,
    options,
    continuous: Array.from({ length: numFactors }, (_, f) => continuous[f] ?? false),
    normalised,
  };
  // a factor's cost: its trees per stage (one for two classes or a continuous factor)
  const trees = Array.from({ length: numFactors }, (_, f) => {
    if (job.continuous[f]) return 1;
    const classes = new Set(column(train.factors, train.n, numFactors, f)).size;
    return classes > 2 ? classes : 1;
  });
  const work = trees.reduce((a, b) => a + b, 0) * train.n * (options.stages ?? 100);
  const chosen = threads ?? (work >= PARALLEL_WORK ? factorThreads() : 1);
  const scores = perFactor(dciTask, job, numFactors, dim + 2, (f) => trees[f], chosen);
  const importance = Array.from({ length: dim }, (_, d) => scores.map((score) => score[d]));
  // summed in factor order, whichever thread computed which
  let informativenessTrain = 0;
  let informativenessTest = 0;
  for (let f = 0; f < numFactors; f++) {
    informativenessTrain += scores[f][dim] / numFactors;
    informativenessTest += scores[f][dim + 1] / numFactors;
  }
  return { ...dciFromImportance(importance), informativenessTrain, informativenessTest, importance };
}

export function dci(source: CodeSource, rng: Rng, options: Partial<DciOptions> = {}): DciResult {
  const o = { ...DCI_DEFAULTS, ...options };
  const [train, test] = source.samples([o.numTrain, o.numTest], rng);
  return dciFromSamples(
    train,
    test,
    source.dim,
    source.factorSizes.length,
    { stages: o.stages },
    source.continuous,
    o.importance === 0,
  );
}
