import type { Rng } from '../engine/rng.ts';

/**
 * The disentanglement_lib contract: a dataset of observations fully determined by discrete factors of
 * variation. Every metric works on every dataset that implements it.
 */
export interface GroundTruthData {
  readonly name: string;
  readonly factorNames: readonly string[];
  readonly factorSizes: readonly number[];
  /** [height, width, channels] */
  readonly observationShape: readonly [number, number, number];
  /** True when an observation depends on its factors alone (no noise): metrics may then cache codes. */
  readonly deterministic?: boolean;
  /** n rows of factor indices, row-major [n, numFactors]. */
  sampleFactors(n: number, rng: Rng): Int32Array;
  /** Observations in [0, 1], row-major [n, h, w, c], for n rows of factor indices. */
  sampleObservationsFromFactors(factors: Int32Array, rng: Rng): Float32Array;
}

/** n observations and the factors that produced them. */
export function sampleBatch(
  data: GroundTruthData,
  n: number,
  rng: Rng,
): { factors: Int32Array; x: Float32Array } {
  const factors = data.sampleFactors(n, rng);
  return { factors, x: data.sampleObservationsFromFactors(factors, rng) };
}

/** How many factor combinations (states) a dataset has: the product of its factor sizes. */
export const stateCount = (factorSizes: readonly number[]): number => factorSizes.reduce((a, b) => a * b, 1);

/** The factor rows [count, numFactors] of states first..first+count-1, mixed-radix, first factor most significant. */
export function factorsOfStates(factorSizes: readonly number[], first: number, count: number): Int32Array {
  const k = factorSizes.length;
  const out = new Int32Array(count * k);
  for (let i = 0; i < count; i++) {
    let index = first + i;
    for (let j = k - 1; j >= 0; j--) {
      out[i * k + j] = index % factorSizes[j];
      index = Math.floor(index / factorSizes[j]);
    }
  }
  return out;
}
