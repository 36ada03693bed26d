import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { discretizedColumns, entropy, jointEntropy, mutualInformationMatrix, topTwo } from './information.ts';
import { intColumns } from './representation.ts';

/**
 * JEMMIG (Do & Tran 2020, "Theory and evaluation metrics for learning disentangled representations"), as
 * Carbonneau et al. 2022 compute it: codes in 10 equal-width bins; per factor v with z* its most
 * informative dim and z° the second, JEMMIG(v) = H(v, z*) − I(v; z*) + I(v; z°), normalised by
 * H(v) + log(bins) (its largest value); the score is 1 − the mean over factors (1: each factor captured
 * exactly by one dim and by no other). Unlike MIG it also penalises a z* that carries more than v.
 */
export interface JemmigOptions {
  numTrain: number;
  bins: number;
}
export const JEMMIG_DEFAULTS: JemmigOptions = { numTrain: 10_000, bins: 10 };

export interface JemmigResult {
  jemmig: number;
  /** per factor: 1 − normalised JEMMIG(v) */
  perFactor: number[];
}

export function jemmigFromSample(
  codes: Float64Array,
  factors: Int32Array,
  n: number,
  dim: number,
  numFactors: number,
  bins: number,
): JemmigResult {
  const discrete = discretizedColumns(codes, n, dim, bins);
  const factorColumns = intColumns(factors, n, numFactors);
  const mi = mutualInformationMatrix(discrete, factorColumns);
  const perFactor = factorColumns.map((f, k) => {
    const { first, second, index } = topTwo(mi.map((row) => row[k]));
    const raw = jointEntropy(f, discrete[index]) - first + (dim > 1 ? second : 0);
    return 1 - raw / (entropy(f) + Math.log(bins));
  });
  return { jemmig: perFactor.reduce((a, b) => a + b, 0) / numFactors, perFactor };
}

export function jemmig(source: CodeSource, rng: Rng, options: Partial<JemmigOptions> = {}): JemmigResult {
  const o = { ...JEMMIG_DEFAULTS, ...options };
  const [s] = source.samples([o.numTrain], rng);
  return jemmigFromSample(s.codes, s.factors, s.n, source.dim, source.factorSizes.length, o.bins);
}
