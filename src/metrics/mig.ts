import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { entropy, histogramDiscretize, mutualInformationMatrix } from './information.ts';
import { column, intColumns } from './representation.ts';

/**
 * Mutual Information Gap (Chen et al. 2018), disentanglement_lib's discretised variant: each code dim
 * binned into 20 equal-width bins over its own range, discrete MI with every factor; per factor the gap
 * between the two most informative dims, normalised by the factor's entropy, averaged over factors.
 * (Chen et al.'s own estimator samples q(z|x) instead of binning the means.)
 */
export interface MigOptions {
  numTrain: number;
  bins: number;
}
export const MIG_DEFAULTS: MigOptions = { numTrain: 10_000, bins: 20 };

export interface MigResult {
  variant: 'discretized (disentanglement_lib)';
  mig: number;
  /** per factor: (top1 − top2) / H(factor) */
  perFactor: number[];
  /** MI matrix [dim][factor] in nats */
  mutualInformation: number[][];
  /** H(factor) of the sample in nats, the normaliser of perFactor */
  factorEntropy: number[];
}

export function migFromSample(
  codes: Float64Array,
  factors: Int32Array,
  count: number,
  dim: number,
  numFactors: number,
  bins: number,
): MigResult {
  const discrete = Array.from({ length: dim }, (_, d) =>
    histogramDiscretize(column(codes, count, dim, d), bins),
  );
  const factorColumns = intColumns(factors, count, numFactors);
  const mi = mutualInformationMatrix(discrete, factorColumns);
  const factorEntropy = factorColumns.map(entropy);
  const perFactor = factorColumns.map((_, k) => {
    const sorted = mi.map((row) => row[k]).sort((a, b) => b - a);
    const h = factorEntropy[k];
    return h > 0 ? (sorted[0] - (sorted[1] ?? 0)) / h : 0;
  });
  return {
    variant: 'discretized (disentanglement_lib)',
    mig: perFactor.reduce((a, b) => a + b, 0) / perFactor.length,
    perFactor,
    mutualInformation: mi,
    factorEntropy,
  };
}

export function mig(source: CodeSource, rng: Rng, options: Partial<MigOptions> = {}): MigResult {
  const o = { ...MIG_DEFAULTS, ...options };
  const [s] = source.samples([o.numTrain], rng);
  return migFromSample(s.codes, s.factors, s.n, source.dim, source.factorSizes.length, o.bins);
}
