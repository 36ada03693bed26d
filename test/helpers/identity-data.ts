import type { GroundTruthData } from '../../src/data/ground-truth.ts';
import { Rng } from '../../src/engine/rng.ts';
import type { PosteriorEncoder } from '../../src/metrics/representation.ts';

/**
 * disentanglement_lib's test data: `numFactors` factors of `size` values each, and the observation of a
 * point is its factor values themselves (shape [1, 1, numFactors]).
 */
export function identityData(numFactors = 10, size = 10): GroundTruthData {
  return {
    name: 'identity',
    factorNames: Array.from({ length: numFactors }, (_, i) => `f${i}`),
    factorSizes: Array(numFactors).fill(size),
    observationShape: [1, 1, numFactors],
    deterministic: true,
    sampleFactors: (n, rng) => Int32Array.from({ length: n * numFactors }, () => rng.int(size)),
    sampleObservationsFromFactors: (factors) => Float32Array.from(factors),
  };
}

/** An encoder whose posterior mean is f(x) row by row and whose variance is exp(logVar). */
export function encoderOf(
  dim: number,
  f: (x: Float32Array, n: number) => Float32Array,
  logVar = 0,
): PosteriorEncoder {
  return {
    dim,
    encodePosterior: (x, n) => ({ mean: f(x, n), logVar: new Float32Array(n * dim).fill(logVar) }),
  };
}

export const identity = (numFactors = 10) => encoderOf(numFactors, (x) => Float32Array.from(x));
export const zeros = (dim = 10) => encoderOf(dim, (_, n) => new Float32Array(n * dim));
export const noise = (dim = 10, seed = 7) => {
  const rng = new Rng(seed);
  return encoderOf(dim, (_, n) => rng.fillNormal(new Float32Array(n * dim)));
};
/** Every factor twice: [x, x]. */
export const duplicated = (numFactors = 10) =>
  encoderOf(2 * numFactors, (x, n) => {
    const out = new Float32Array(n * 2 * numFactors);
    for (let i = 0; i < n; i++) {
      out.set(x.subarray(i * numFactors, (i + 1) * numFactors), 2 * i * numFactors);
      out.set(x.subarray(i * numFactors, (i + 1) * numFactors), (2 * i + 1) * numFactors);
    }
    return out;
  });
