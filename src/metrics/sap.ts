import type { Rng } from '../engine/rng.ts';
import { type CodeBatch, type CodeSource, factorTarget } from './code-source.ts';
import { fitLinearSvm, predictLinearSvm } from './linear-svm.ts';
import { column } from './representation.ts';

/**
 * SAP score (Kumar et al. 2018), disentanglement_lib's discrete-factor mode: for every (code dim, factor)
 * a linear SVM on that single dim (C = 0.01, balanced class weights) predicts the factor; the score matrix
 * holds its test accuracy; SAP = mean over factors of the gap between the two best dims. With
 * `continuousFactors` = 1 the matrix holds instead the squared correlation of dim and factor on the train
 * points (the mode in which a perfect code scores ~1 whatever the number of factor values). A continuous
 * factor (untangle metrics --continuous) is always scored in that mode, on its values.
 */
export interface SapOptions {
  numTrain: number;
  numTest: number;
  c: number;
  /** 0: discrete factors, linear SVM accuracy (the study's setting); 1: squared correlation */
  continuousFactors: number;
}
export const SAP_DEFAULTS: SapOptions = { numTrain: 10_000, numTest: 5_000, c: 0.01, continuousFactors: 0 };

export interface SapResult {
  sap: number;
  /** test accuracy [dim][factor] */
  scoreMatrix: number[][];
}

/** Squared Pearson correlation, 0 when x is (near) constant. */
export function squaredCorrelation(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  const varX = sxx / (n - 1);
  return varX > 1e-12 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0;
}

export function sapFromSamples(
  train: CodeBatch,
  test: CodeBatch,
  dim: number,
  numFactors: number,
  { c, continuousFactors }: Pick<SapOptions, 'c' | 'continuousFactors'>,
  continuous: readonly boolean[] = [],
) {
  const scoreMatrix = Array.from({ length: dim }, (_, d) => {
    const x = column(train.codes, train.n, dim, d);
    const xTest = column(test.codes, test.n, dim, d);
    return Array.from({ length: numFactors }, (_, f) => {
      if (continuousFactors || continuous[f])
        return squaredCorrelation(x, factorTarget(train, numFactors, f));
      const svm = fitLinearSvm(x, column(train.factors, train.n, numFactors, f), { c, balanced: true });
      const predicted = predictLinearSvm(svm, xTest);
      let correct = 0;
      for (let i = 0; i < test.n; i++) if (predicted[i] === test.factors[i * numFactors + f]) correct++;
      return correct / test.n;
    });
  });
  const gaps = Array.from({ length: numFactors }, (_, f) => {
    const sorted = scoreMatrix.map((row) => row[f]).sort((a, b) => b - a);
    return sorted[0] - (sorted[1] ?? 0);
  });
  return { sap: gaps.reduce((a, b) => a + b, 0) / numFactors, scoreMatrix };
}

export function sap(source: CodeSource, rng: Rng, options: Partial<SapOptions> = {}): SapResult {
  const o = { ...SAP_DEFAULTS, ...options };
  const [train, test] = source.samples([o.numTrain, o.numTest], rng);
  return sapFromSamples(train, test, source.dim, source.factorSizes.length, o, source.continuous);
}
