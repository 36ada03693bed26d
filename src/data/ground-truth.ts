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
