import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { accuracy, fitLogistic } from './logistic-regression.ts';

/**
 * BetaVAE score (Higgins et al. 2017), disentanglement_lib's version: a point is the mean absolute
 * difference of the codes of `batchSize` pairs that share one random factor; a multinomial logistic
 * regression predicts which factor was shared. Reported: its train and eval accuracy. Variant
 * `classifier` = 1: the paper's plain linear (softmax) classifier, fitted without scikit-learn's C = 1
 * penalty (up to 1,000 L-BFGS iterations) — the penalty shrinks weights on small features and can cost
 * accuracy when the mean |z₁−z₂| differences are small.
 */
export interface BetaVaeScoreOptions {
  batchSize: number;
  numTrain: number;
  numEval: number;
  /** 0: LogisticRegression() as disentanglement_lib fits it; 1: unpenalised linear softmax (the paper's) */
  classifier: number;
}
export const BETA_VAE_SCORE_DEFAULTS: BetaVaeScoreOptions = {
  batchSize: 64,
  numTrain: 10_000,
  numEval: 5_000,
  classifier: 0,
};

export interface BetaVaeScoreResult {
  trainAccuracy: number;
  evalAccuracy: number;
}

/** `count` points: features [count, dim] and the index of the shared factor of each. */
export function betaVaePoints(source: CodeSource, count: number, batchSize: number, rng: Rng) {
  const { dim } = source;
  const k = source.factorSizes.length;
  const features = new Float64Array(count * dim);
  const labels = new Int32Array(count);
  for (let p = 0; p < count; p++) {
    const shared = rng.int(k);
    const first = source.sample(batchSize, rng);
    const values = Int32Array.from({ length: batchSize }, (_, i) => first.factors[i * k + shared]);
    const second = source.sampleWithFactor(shared, values, rng);
    for (let i = 0; i < batchSize * dim; i++) {
      features[p * dim + (i % dim)] += Math.abs(first.codes[i] - second.codes[i]) / batchSize;
    }
    labels[p] = shared;
  }
  return { features, labels };
}

export function betaVaeScore(
  source: CodeSource,
  rng: Rng,
  options: Partial<BetaVaeScoreOptions> = {},
): BetaVaeScoreResult {
  const o = { ...BETA_VAE_SCORE_DEFAULTS, ...options };
  const train = betaVaePoints(source, o.numTrain, o.batchSize, rng);
  const evaluation = betaVaePoints(source, o.numEval, o.batchSize, rng);
  const model = fitLogistic(
    train.features,
    train.labels,
    source.dim,
    o.classifier === 1 ? { penalty: false, maxIterations: 1_000 } : {},
  );
  return {
    trainAccuracy: accuracy(model, train.features, train.labels),
    evalAccuracy: accuracy(model, evaluation.features, evaluation.labels),
  };
}
