import type { Rng } from '../engine/rng.ts';
import { type CodeBatch, type CodeSource, factorTarget } from './code-source.ts';
import { fitGradientBoostingRegressor, predictRegression } from './gradient-boosting-regressor.ts';

/**
 * DCI-ES explicitness and size (Eastwood, Nicolicioiu, von Kügelgen, Kekić, Träuble, Dittadi & Schölkopf
 * 2023, "DCI-ES: an extended disentanglement framework with connections to identifiability").
 * Explicitness: per factor, probes of growing capacity — regression trees of depth 1 … `maxDepth` — predict
 * the factor (standardised with the train mean and std); their test MSE, each the lowest reached up to that
 * capacity, is the loss–capacity curve. E = 1 − AULCC / Z, AULCC the (trapezoid) area between the curve and
 * the lowest possible loss ℓ* = 0, Z the area under the baseline loss (predicting the train mean) over the
 * same capacities: 1 when even a stump predicts the factor exactly, 0 when no probe beats the mean.
 * Size: S = K / L (factors over code dims), 1 for a code no larger than the factors need.
 */
export interface DciEsOptions {
  numTrain: number;
  numTest: number;
  maxDepth: number;
}
export const DCI_ES_DEFAULTS: DciEsOptions = { numTrain: 10_000, numTest: 5_000, maxDepth: 8 };

export interface DciEsResult {
  explicitness: number;
  size: number;
  perFactor: number[];
  /** per factor: the running-minimum test MSE at depth 1 … maxDepth, and the baseline MSE */
  curves: { loss: number[]; baseline: number }[];
}

/** 1 − (area between the running-minimum curve and 0) / (baseline × capacity range), capacities 1, 2, … */
export function explicitnessOfCurve(losses: number[], baseline: number): number {
  const curve = losses.map((_, i) => Math.min(...losses.slice(0, i + 1)));
  if (curve.length === 1) return 1 - curve[0] / baseline;
  let area = 0;
  for (let i = 1; i < curve.length; i++) area += (curve[i - 1] + curve[i]) / 2;
  return 1 - area / (baseline * (curve.length - 1));
}

export function dciEsFromSamples(
  train: CodeBatch,
  test: CodeBatch,
  dim: number,
  numFactors: number,
  maxDepth: number,
): DciEsResult {
  const curves = Array.from({ length: numFactors }, (_, f) => {
    // a continuous factor's values (a pool's), else its labels
    const y = factorTarget(train, numFactors, f);
    const yTest = factorTarget(test, numFactors, f);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    const std = Math.sqrt(y.reduce((s, v) => s + (v - mean) ** 2, 0) / y.length) || 1;
    const target = y.map((v) => (v - mean) / std);
    const targetTest = yTest.map((v) => (v - mean) / std);
    const baseline = targetTest.reduce((s, v) => s + v * v, 0) / test.n;
    const loss = Array.from({ length: maxDepth }, (_, d) => {
      const model = fitGradientBoostingRegressor(train.codes, target, dim, {
        stages: 1,
        learningRate: 1,
        maxDepth: d + 1,
      });
      const predicted = predictRegression(model, test.codes, test.n);
      return predicted.reduce((s, p, i) => s + (p - targetTest[i]) ** 2, 0) / test.n;
    });
    return { loss: loss.map((_, i) => Math.min(...loss.slice(0, i + 1))), baseline };
  });
  const perFactor = curves.map((c) => (c.baseline > 0 ? explicitnessOfCurve(c.loss, c.baseline) : 1));
  return {
    explicitness: perFactor.reduce((a, b) => a + b, 0) / numFactors,
    size: numFactors / dim,
    perFactor,
    curves,
  };
}

export function dciEs(source: CodeSource, rng: Rng, options: Partial<DciEsOptions> = {}): DciEsResult {
  const o = { ...DCI_ES_DEFAULTS, ...options };
  const [train, test] = source.samples([o.numTrain, o.numTest], rng);
  return dciEsFromSamples(train, test, source.dim, source.factorSizes.length, o.maxDepth);
}
