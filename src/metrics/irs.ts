import type { Rng } from '../engine/rng.ts';
import type { CodeBatch, CodeSource } from './code-source.ts';
import { histogramDiscretize } from './information.ts';
import { column, intColumns } from './representation.ts';

/**
 * Interventional Robustness Score (Suter et al. 2019), disentanglement_lib's version: factors discretised
 * into 20 bins, constant code dims dropped; per (dim, factor) the mean over the factor's values of the
 * `diffQuantile` quantile of |z − E[z | factor = value]|, normalised by the dim's largest deviation from its
 * mean; IRS = the max over factors of 1 − that, averaged over dims weighted by their largest deviation.
 */
export interface IrsOptions {
  numTrain: number;
  diffQuantile: number;
  bins: number;
}
export const IRS_DEFAULTS: IrsOptions = { numTrain: 10_000, diffQuantile: 0.99, bins: 20 };

export interface IrsResult {
  irs: number;
  /** per active dim: max over factors of 1 − normalised deviation */
  perDim: number[];
  activeDims: number;
}

/** numpy.percentile's default (linear interpolation between closest ranks), q in [0, 1]. */
export function quantile(values: Float64Array, q: number): number {
  const sorted = Float64Array.from(values).sort();
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (position - lo);
}

function std(values: Float64Array): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

export function irsFromSample(sample: CodeBatch, dim: number, numFactors: number, o: IrsOptions): IrsResult {
  const latents = Array.from({ length: dim }, (_, d) => column(sample.codes, sample.n, dim, d)).filter(
    (z) => std(z) > 0,
  );
  if (latents.length === 0) return { irs: 0, perDim: [], activeDims: 0 };
  const factors = intColumns(sample.factors, sample.n, numFactors).map((f) => histogramDiscretize(f, o.bins));

  const perDim: number[] = [];
  const maxDeviations: number[] = [];
  for (const z of latents) {
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const maxDeviation = z.reduce((m, v) => Math.max(m, Math.abs(v - mean)), 0);
    let best = Number.NEGATIVE_INFINITY;
    for (const f of factors) {
      const groups = new Map<number, number[]>();
      f.forEach((value, i) => {
        const group = groups.get(value);
        if (group) group.push(z[i]);
        else groups.set(value, [z[i]]);
      });
      let deviation = 0;
      for (const group of groups.values()) {
        const groupMean = group.reduce((a, b) => a + b, 0) / group.length;
        deviation += quantile(
          Float64Array.from(group, (v) => Math.abs(v - groupMean)),
          o.diffQuantile,
        );
      }
      best = Math.max(best, 1 - deviation / groups.size / maxDeviation);
    }
    perDim.push(best);
    maxDeviations.push(maxDeviation);
  }
  const weight = maxDeviations.reduce((a, b) => a + b, 0);
  const irs = perDim.reduce((s, v, i) => s + v * maxDeviations[i], 0) / weight;
  return { irs, perDim, activeDims: latents.length };
}

export function irs(source: CodeSource, rng: Rng, options: Partial<IrsOptions> = {}): IrsResult {
  const o = { ...IRS_DEFAULTS, ...options };
  const [sample] = source.samples([o.numTrain], rng);
  return irsFromSample(sample, source.dim, source.factorSizes.length, o);
}
