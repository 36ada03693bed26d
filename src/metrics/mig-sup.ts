import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { discretizedColumns, entropy, mutualInformationMatrix, topTwo } from './information.ts';
import { intColumns } from './representation.ts';

/**
 * MIG-sup (Li, Murkute, Gyawali & Wang 2020, "Progressive learning and disentanglement of hierarchical
 * representations"), as Carbonneau et al. 2022 compute it: each code dim binned into 10 equal-width bins
 * over its own range; per code dim the gap between its two largest MIs with the factors, each normalised
 * by the dim's entropy H(z_j); averaged over code dims. MIG asks that each factor live in one dim, MIG-sup
 * that each dim hold one factor (modularity). A dim of zero entropy scores 0.
 */
export interface MigSupOptions {
  numTrain: number;
  bins: number;
}
export const MIG_SUP_DEFAULTS: MigSupOptions = { numTrain: 10_000, bins: 10 };

export interface MigSupResult {
  migSup: number;
  /** per code dim: (top1 − top2) / H(z_j) */
  perDim: number[];
}

export function migSupFromSample(
  codes: Float64Array,
  factors: Int32Array,
  n: number,
  dim: number,
  numFactors: number,
  bins: number,
): MigSupResult {
  const discrete = discretizedColumns(codes, n, dim, bins);
  const mi = mutualInformationMatrix(discrete, intColumns(factors, n, numFactors));
  const perDim = mi.map((row, d) => {
    const h = entropy(discrete[d]);
    const { first, second } = topTwo(row);
    return h > 0 ? (first - (numFactors > 1 ? second : 0)) / h : 0;
  });
  return { migSup: perDim.reduce((a, b) => a + b, 0) / dim, perDim };
}

export function migSup(source: CodeSource, rng: Rng, options: Partial<MigSupOptions> = {}): MigSupResult {
  const o = { ...MIG_SUP_DEFAULTS, ...options };
  const [s] = source.samples([o.numTrain], rng);
  return migSupFromSample(s.codes, s.factors, s.n, source.dim, source.factorSizes.length, o.bins);
}
