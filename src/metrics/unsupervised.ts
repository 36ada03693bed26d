import type { Rng } from '../engine/rng.ts';
import { covariance } from '../math/covariance.ts';
import { symmetricEigenvalues } from '../math/symmetric-eigen.ts';
import type { CodeSource } from './code-source.ts';
import { histogramDiscretize, mutualInformation } from './information.ts';
import { column } from './representation.ts';

/**
 * disentanglement_lib's unsupervised scores of the codes alone, from their covariance Σ (ddof 1):
 * Gaussian total correlation ½(Σ_i log Σ_ii − log det Σ), the Gaussian Wasserstein correlation
 * 2 tr Σ − 2 tr (diag(Σ) Σ)^½ (and divided by tr Σ), and the mean discretised MI between distinct code dims.
 * Dims of exactly zero variance make the first two undefined; they are left out and counted.
 */
export interface UnsupervisedOptions {
  numTrain: number;
  bins: number;
}
export const UNSUPERVISED_DEFAULTS: UnsupervisedOptions = { numTrain: 10_000, bins: 20 };

export interface UnsupervisedResult {
  gaussianTotalCorrelation: number;
  gaussianWassersteinCorrelation: number;
  gaussianWassersteinCorrelationNorm: number;
  mutualInfoScore: number;
  constantDims: number;
}

export function unsupervisedFromCodes(
  codes: Float64Array,
  n: number,
  dim: number,
  bins: number,
): UnsupervisedResult {
  const full = covariance(codes, n, dim);
  const kept = [...Array(dim).keys()].filter((d) => full[d * dim + d] > 0);
  const m = kept.length;
  const cov = Float64Array.from(
    { length: m * m },
    (_, i) => full[kept[Math.floor(i / m)] * dim + kept[i % m]],
  );
  const diagonal = kept.map((_, i) => cov[i * m + i]);
  const trace = diagonal.reduce((a, b) => a + b, 0);

  const eigen = symmetricEigenvalues(cov, m);
  const logDet = eigen.reduce((s, e) => s + Math.log(e), 0);
  const totalCorrelation = 0.5 * (diagonal.reduce((s, v) => s + Math.log(v), 0) - logDet);
  // (diag Σ) Σ is similar to D^½ Σ D^½, symmetric PSD: the trace of its square root is Σ √eigenvalue
  const scaled = cov.map((v, i) => v * Math.sqrt(diagonal[Math.floor(i / m)] * diagonal[i % m]));
  const rootTrace = symmetricEigenvalues(scaled, m).reduce((s, e) => s + Math.sqrt(Math.max(e, 0)), 0);
  const wasserstein = 2 * trace - 2 * rootTrace;

  const discrete = Array.from({ length: dim }, (_, d) => histogramDiscretize(column(codes, n, dim, d), bins));
  let mi = 0;
  for (let a = 0; a < dim; a++)
    for (let b = 0; b < dim; b++) if (a !== b) mi += mutualInformation(discrete[a], discrete[b]);

  return {
    gaussianTotalCorrelation: totalCorrelation,
    gaussianWassersteinCorrelation: wasserstein,
    gaussianWassersteinCorrelationNorm: wasserstein / trace,
    mutualInfoScore: dim > 1 ? mi / (dim * dim - dim) : 0,
    constantDims: dim - m,
  };
}

export function unsupervised(source: CodeSource, rng: Rng, options: Partial<UnsupervisedOptions> = {}) {
  const o = { ...UNSUPERVISED_DEFAULTS, ...options };
  const [sample] = source.samples([o.numTrain], rng);
  return unsupervisedFromCodes(sample.codes, sample.n, source.dim, o.bins);
}
