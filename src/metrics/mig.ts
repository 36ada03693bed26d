import type { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import type { CodeSource } from './code-source.ts';
import { entropy, histogramDiscretize, mutualInformationMatrix } from './information.ts';
import { samplingMutualInformationOf } from './mig-sampling.ts';
import { column, intColumns } from './representation.ts';

/**
 * Mutual Information Gap (Chen et al. 2018), disentanglement_lib's discretised variant: each code dim
 * binned into 20 equal-width bins over its own range, discrete MI with every factor; per factor the gap
 * between the two most informative dims, normalised by the factor's entropy, averaged over factors.
 * Variant `estimator` = 1: Chen et al.'s own estimator (mig-sampling.ts), MI from the posteriors q(z|x)
 * by sampling (`entropySamples` draws per entropy), where the source knows them (untangle evaluate; untangle
 * metrics --log-variances); the gaps are normalised by the same empirical H(factor).
 */
export interface MigOptions {
  numTrain: number;
  bins: number;
  /** 0: discretised means (disentanglement_lib); 1: Chen et al.'s sampling estimator on q(z|x) */
  estimator: number;
  /** estimator 1: points whose posterior draws estimate each entropy */
  entropySamples: number;
}
export const MIG_DEFAULTS: MigOptions = { numTrain: 10_000, bins: 20, estimator: 0, entropySamples: 1_000 };

/** The MIG variant that options select, in words (metrics.json's migVariant). */
export function migVariantLabel(options: Partial<MigOptions> = {}): string {
  const o = { ...MIG_DEFAULTS, ...options };
  return o.estimator === 1
    ? `sampling (Chen et al. 2018): entropies from ${o.entropySamples} draws of q(z|x)`
    : `discretized (disentanglement_lib): ${o.bins} equal-width bins of each code`;
}

export type MigVariant = 'discretized (disentanglement_lib)' | 'sampling (Chen et al. 2018)';

export interface MigResult {
  variant: MigVariant;
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
  const mi = mutualInformationMatrix(discrete, intColumns(factors, count, numFactors));
  return migOfMatrix(mi, factors, count, numFactors, 'discretized (disentanglement_lib)');
}

/** MIG from an MI matrix [dim][factor]: per factor the gap of its two largest MIs over H(factor). */
export function migOfMatrix(
  mi: number[][],
  factors: Int32Array,
  count: number,
  numFactors: number,
  variant: MigVariant,
): MigResult {
  const factorColumns = intColumns(factors, count, numFactors);
  const factorEntropy = factorColumns.map(entropy);
  const perFactor = factorColumns.map((_, k) => {
    const sorted = mi.map((row) => row[k]).sort((a, b) => b - a);
    const h = factorEntropy[k];
    return h > 0 ? (sorted[0] - (sorted[1] ?? 0)) / h : 0;
  });
  return {
    variant,
    mig: perFactor.reduce((a, b) => a + b, 0) / perFactor.length,
    perFactor,
    mutualInformation: mi,
    factorEntropy,
  };
}

export function mig(source: CodeSource, rng: Rng, options: Partial<MigOptions> = {}): MigResult {
  const o = { ...MIG_DEFAULTS, ...options };
  const [s] = source.samples([o.numTrain], rng);
  const k = source.factorSizes.length;
  if (o.estimator !== 1) return migFromSample(s.codes, s.factors, s.n, source.dim, k, o.bins);
  if (s.posterior == null) {
    throw new InputError(
      "mig.estimator=1 (Chen et al.'s sampling estimator) needs the posteriors' log-variances: untangle evaluate, or untangle metrics --log-variances FILE",
    );
  }
  const mi = samplingMutualInformationOf(s.posterior, s.factors, s.n, source.dim, k, o.entropySamples, rng);
  return migOfMatrix(mi, s.factors, s.n, k, 'sampling (Chen et al. 2018)');
}
