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
  /**
   * Observations in [0, 1], row-major [n, h, w, c], for n rows of factor indices; into `out` when given
   * (see observationArray), so a training loop need not allocate a batch every step.
   */
  sampleObservationsFromFactors(factors: Int32Array, rng: Rng, out?: Float32Array): Float32Array;
}

/**
 * Where n observations of `size` values go: `out` zeroed (it must hold exactly n·size), else a fresh
 * array. A fresh batch per step counts as external memory that sets off full V8 collections.
 */
export function observationArray(name: string, length: number, out?: Float32Array): Float32Array {
  if (out == null) return new Float32Array(length);
  if (out.length !== length)
    throw new RangeError(`${name}: an output array of ${out.length} values for ${length} observation values`);
  return out.fill(0);
}

/** n observations and the factors that produced them; the observations into `out` when given. */
export function sampleBatch(
  data: GroundTruthData,
  n: number,
  rng: Rng,
  out?: Float32Array,
): { factors: Int32Array; x: Float32Array } {
  const factors = data.sampleFactors(n, rng);
  return { factors, x: data.sampleObservationsFromFactors(factors, rng, out) };
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
