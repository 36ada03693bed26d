import type { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { type CodeBatch, type CodeSource, factorTarget } from './code-source.ts';
import { rSquared } from './dci.ts';
import { fitGradientBoosting, predictGradientBoosting } from './gradient-boosting.ts';
import { fitGradientBoostingRegressor, predictRegression } from './gradient-boosting-regressor.ts';
import { fitLogistic, predictProbabilities } from './logistic-regression.ts';
import { column } from './representation.ts';
import { fitRidge, predictRidge } from './ridge.ts';

/**
 * Downstream prediction of every factor from the codes (Locatello et al. 2019, disentanglement_lib's
 * downstream_task), at 10, 100, 1,000 and 10,000 training points (up to `maxTrain`) and `numTest` test
 * points: per factor a classifier — `predictor` 0: LogisticRegressionCV (10 values of C on a log grid
 * 1e-4 … 1e4, chosen by mean accuracy over 5 unshuffled folds, then refitted on all points), 1: gradient-
 * boosted trees (scikit-learn's defaults) — and its train/test accuracy; reported per size as the mean and
 * the minimum over factors. Sample efficiency = mean test accuracy at 100 points / at 10,000 (or the largest).
 * A continuous factor is regressed instead — Ridge() or GradientBoostingRegressor() — and scores its R².
 */
export interface DownstreamOptions {
  maxTrain: number;
  numTest: number;
  /** 0: logistic regression with cross-validated C, 1: gradient-boosted trees */
  predictor: number;
}
export const DOWNSTREAM_DEFAULTS: DownstreamOptions = { maxTrain: 10_000, numTest: 5_000, predictor: 0 };

const SIZES = [10, 100, 1_000, 10_000];
const CS = Array.from({ length: 10 }, (_, i) => 10 ** (-4 + (8 * i) / 9));
const FOLDS = 5;

export interface DownstreamResult {
  /** per training size: mean/min over factors of the train and test accuracy, and per factor */
  sizes: {
    numTrain: number;
    meanTrainAccuracy: number;
    meanTestAccuracy: number;
    minTrainAccuracy: number;
    minTestAccuracy: number;
    testAccuracy: number[];
  }[];
  /** mean test accuracy of the largest size */
  testAccuracy: number;
  /** mean test accuracy at 100 points over that at the largest size */
  sampleEfficiency: number;
}

type Predict = (x: Float64Array, n: number) => Int32Array;

function logisticPredictor(model: ReturnType<typeof fitLogistic>): Predict {
  return (x, n) => {
    const p = predictProbabilities(model, x, n);
    const k = model.classes.length;
    return Int32Array.from({ length: n }, (_, i) => {
      let best = 0;
      for (let j = 1; j < k; j++) if (p[i * k + j] > p[i * k + best]) best = j;
      return model.classes[best];
    });
  };
}

const accuracy = (predicted: Int32Array, labels: Float64Array) =>
  predicted.reduce((s, p, i) => s + (p === labels[i] ? 1 : 0), 0) / labels.length;

/** LogisticRegressionCV(Cs = 10, cv = KFold(5)): the C of best mean fold accuracy (first on ties), refitted. */
export function fitLogisticCv(x: Float64Array, labels: Float64Array, features: number): Predict {
  const n = labels.length;
  const folds = Math.min(FOLDS, n);
  let bestC = CS[0];
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const c of CS) {
    let score = 0;
    for (let fold = 0; fold < folds; fold++) {
      // scikit-learn's KFold: the first n % folds folds hold one extra point
      const size = Math.floor(n / folds) + (fold < n % folds ? 1 : 0);
      const start = fold * Math.floor(n / folds) + Math.min(fold, n % folds);
      const inFold = (i: number) => i >= start && i < start + size;
      const trainRows = Array.from({ length: n }, (_, i) => i).filter((i) => !inFold(i));
      const pick = (rows: number[]) => {
        const out = new Float64Array(rows.length * features);
        rows.forEach((r, i) => {
          out.set(x.subarray(r * features, (r + 1) * features), i * features);
        });
        return out;
      };
      const model = fitLogistic(
        pick(trainRows),
        trainRows.map((r) => labels[r]),
        features,
        { c },
      );
      const testRows = Array.from({ length: size }, (_, i) => start + i);
      const predicted = logisticPredictor(model)(pick(testRows), size);
      score +=
        accuracy(
          predicted,
          Float64Array.from(testRows, (r) => labels[r]),
        ) / folds;
    }
    if (score > bestScore) {
      bestScore = score;
      bestC = c;
    }
  }
  return logisticPredictor(fitLogistic(x, labels, features, { c: bestC }));
}

export function downstream(
  source: CodeSource,
  rng: Rng,
  options: Partial<DownstreamOptions> = {},
): DownstreamResult {
  const o = { ...DOWNSTREAM_DEFAULTS, ...options };
  const k = source.factorSizes.length;
  const sizes = SIZES.filter((s) => s <= o.maxTrain);
  if (sizes.length === 0) throw new InputError(`downstream: maxTrain ${o.maxTrain}, expected at least 10`);
  const results = sizes.map((size) => {
    const [train, test]: CodeBatch[] = source.samples([size, o.numTest], rng);
    const trainAccuracy: number[] = [];
    const testAccuracy: number[] = [];
    for (let f = 0; f < k; f++) {
      if (source.continuous?.[f]) {
        const y = factorTarget(train, k, f);
        const predict =
          o.predictor === 1
            ? (
                (m) => (x: Float64Array, n: number) =>
                  predictRegression(m, x, n)
              )(fitGradientBoostingRegressor(train.codes, y, source.dim))
            : (
                (m) => (x: Float64Array, n: number) =>
                  predictRidge(m, x, n)
              )(fitRidge(train.codes, y, source.dim));
        trainAccuracy.push(rSquared(y, predict(train.codes, train.n)));
        testAccuracy.push(rSquared(factorTarget(test, k, f), predict(test.codes, test.n)));
        continue;
      }
      const y = column(train.factors, train.n, k, f);
      const predict: Predict =
        o.predictor === 1
          ? (() => {
              const model = fitGradientBoosting(train.codes, y, source.dim);
              return (x, n) => predictGradientBoosting(model, x, n);
            })()
          : fitLogisticCv(train.codes, y, source.dim);
      trainAccuracy.push(accuracy(predict(train.codes, train.n), y));
      testAccuracy.push(accuracy(predict(test.codes, test.n), column(test.factors, test.n, k, f)));
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    return {
      numTrain: train.n,
      meanTrainAccuracy: mean(trainAccuracy),
      meanTestAccuracy: mean(testAccuracy),
      minTrainAccuracy: Math.min(...trainAccuracy),
      minTestAccuracy: Math.min(...testAccuracy),
      testAccuracy,
    };
  });
  const largest = results[results.length - 1];
  const at100 = results.find((r) => r.numTrain === 100) ?? results[0];
  return {
    sizes: results,
    testAccuracy: largest.meanTestAccuracy,
    sampleEfficiency: largest.meanTestAccuracy > 0 ? at100.meanTestAccuracy / largest.meanTestAccuracy : 0,
  };
}
