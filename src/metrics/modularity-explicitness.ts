import type { Rng } from '../engine/rng.ts';
import { type CodeBatch, type CodeSource, factorTarget, withoutPosterior } from './code-source.ts';
import { rSquared } from './dci.ts';
import { type FactorTask, factorThreads, perFactor } from './factor-threads.ts';
import { histogramDiscretize, mutualInformationMatrix } from './information.ts';
import { fitLogistic, predictProbabilities } from './logistic-regression.ts';
import { column, intColumns } from './representation.ts';
import { fitRidge, predictRidge } from './ridge.ts';
import { rocAuc } from './roc-auc.ts';

/**
 * Modularity and explicitness (Ridgeway & Zemel 2018), disentanglement_lib's version. Modularity: from the
 * discretised MI matrix (20 bins), per code dim 1 − Σ_{f≠best} MI² / (MI_best² · (factors − 1)), 0 for a
 * dim carrying no information, averaged over dims. Explicitness: per factor a multinomial logistic
 * regression on the standardised codes, the macro-averaged one-vs-rest ROC-AUC of its probabilities; for a
 * continuous factor (its bins count in the MI) the R² of a ridge regression (scikit-learn's Ridge()) instead.
 */
export interface ModularityOptions {
  numTrain: number;
  numTest: number;
  bins: number;
}
export const MODULARITY_DEFAULTS: ModularityOptions = { numTrain: 10_000, numTest: 5_000, bins: 20 };

export interface ModularityResult {
  modularity: number;
  explicitnessTrain: number;
  explicitnessTest: number;
}

/** Modularity of an MI matrix [dim][factor]. */
export function modularityOf(mi: number[][]): number {
  const scores = mi.map((row) => {
    const squares = row.map((v) => v * v);
    const top = Math.max(...squares);
    if (top === 0) return 0;
    const rest = squares.reduce((a, b) => a + b, 0) - top;
    return 1 - rest / (top * (row.length - 1));
  });
  return scores.reduce((a, b) => a + b, 0) / scores.length;
}

/** Standardise with the train mean and population std (a constant dim keeps scale 1, like sklearn). */
function standardize(train: CodeBatch, others: CodeBatch[], dim: number): Float64Array[] {
  const mean = new Float64Array(dim);
  const std = new Float64Array(dim);
  for (let i = 0; i < train.n * dim; i++) mean[i % dim] += train.codes[i] / train.n;
  for (let i = 0; i < train.n * dim; i++) std[i % dim] += (train.codes[i] - mean[i % dim]) ** 2 / train.n;
  for (let d = 0; d < dim; d++) std[d] = std[d] > 0 ? Math.sqrt(std[d]) : 1;
  return [train, ...others].map((b) => b.codes.map((v, i) => (v - mean[i % dim]) / std[i % dim]));
}

/** Mean over the classes of `labels` of the one-vs-rest AUC of their predicted probability. */
function macroAuc(probabilities: Float64Array, classes: number[], labels: ArrayLike<number>): number {
  const n = labels.length;
  const k = classes.length;
  const aucs = classes
    .map((c, j) =>
      rocAuc(
        Float64Array.from({ length: n }, (_, i) => probabilities[i * k + j]),
        Array.from(labels, (l) => l === c),
      ),
    )
    .filter((a) => !Number.isNaN(a));
  return aucs.reduce((a, b) => a + b, 0) / aucs.length;
}

/** What one factor's explicitness needs, as a worker thread receives it. */
export interface ExplicitnessJob {
  train: CodeBatch;
  test: CodeBatch;
  xTrain: Float64Array;
  xTest: Float64Array;
  dim: number;
  numFactors: number;
  continuous: boolean[];
}

export const explicitnessTask: FactorTask<ExplicitnessJob> = {
  module: import.meta.url,
  name: 'explicitnessOfFactor',
  run: (job, f) => explicitnessOfFactor(job, f),
};

/** Factor f's train and test explicitness: the macro ROC-AUC of its logistic regression, or a ridge's R². */
export function explicitnessOfFactor(job: ExplicitnessJob, f: number): Float64Array {
  const { train, test, xTrain, xTest, dim, numFactors } = job;
  if (job.continuous[f]) {
    const ridge = fitRidge(xTrain, factorTarget(train, numFactors, f), dim);
    return Float64Array.of(
      rSquared(factorTarget(train, numFactors, f), predictRidge(ridge, xTrain, train.n)),
      rSquared(factorTarget(test, numFactors, f), predictRidge(ridge, xTest, test.n)),
    );
  }
  const labelsTrain = Int32Array.from(column(train.factors, train.n, numFactors, f));
  const labelsTest = Int32Array.from(column(test.factors, test.n, numFactors, f));
  const model = fitLogistic(xTrain, labelsTrain, dim);
  return Float64Array.of(
    macroAuc(predictProbabilities(model, xTrain, train.n), model.classes, labelsTrain),
    macroAuc(predictProbabilities(model, xTest, test.n), model.classes, labelsTest),
  );
}

/** Below this many rows × classes a second thread costs more to start than it saves. */
const PARALLEL_WORK = 2e5;

export function modularityFromSamples(
  train: CodeBatch,
  test: CodeBatch,
  dim: number,
  numFactors: number,
  bins: number,
  continuous: readonly boolean[] = [],
  /** default: 2 where the machine has 2 cores and the fits are large enough to gain from them */
  threads?: number,
): ModularityResult {
  const discrete = Array.from({ length: dim }, (_, d) =>
    histogramDiscretize(column(train.codes, train.n, dim, d), bins),
  );
  const factorsTrain = intColumns(train.factors, train.n, numFactors);
  const [xTrain, xTest] = standardize(train, [test], dim);
  const job: ExplicitnessJob = {
    train: withoutPosterior(train),
    test: withoutPosterior(test),
    xTrain,
    xTest,
    dim,
    numFactors,
    continuous: Array.from({ length: numFactors }, (_, f) => continuous[f] ?? false),
  };
  const classes = factorsTrain.map((labels, f) => (job.continuous[f] ? 1 : new Set(labels).size));
  const work = train.n * classes.reduce((a, b) => a + b, 0);
  const chosen = threads ?? (work >= PARALLEL_WORK ? factorThreads() : 1);
  const scores = perFactor(explicitnessTask, job, numFactors, 2, (f) => classes[f], chosen);
  // summed in factor order, whichever thread computed which
  let explicitnessTrain = 0;
  let explicitnessTest = 0;
  for (let f = 0; f < numFactors; f++) {
    explicitnessTrain += scores[f][0];
    explicitnessTest += scores[f][1];
  }
  return {
    modularity: modularityOf(mutualInformationMatrix(discrete, factorsTrain)),
    explicitnessTrain: explicitnessTrain / numFactors,
    explicitnessTest: explicitnessTest / numFactors,
  };
}

export function modularityExplicitness(
  source: CodeSource,
  rng: Rng,
  options: Partial<ModularityOptions> = {},
): ModularityResult {
  const o = { ...MODULARITY_DEFAULTS, ...options };
  const [train, test] = source.samples([o.numTrain, o.numTest], rng);
  return modularityFromSamples(train, test, source.dim, source.factorSizes.length, o.bins, source.continuous);
}
