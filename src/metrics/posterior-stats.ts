import type { GroundTruthData } from '../data/ground-truth.ts';
import type { Rng } from '../engine/rng.ts';
import type { PosteriorEncoder } from './representation.ts';

/**
 * What the encoder's posterior says about each latent dim over the data: KL(q(z_d|x) || N(0, 1)) averaged
 * over x, and active units (Burda et al. 2016): dims whose posterior mean varies with x, Cov_x(E[z_d|x]) >
 * `activeThreshold`.
 */
export interface PosteriorStatsOptions {
  numPoints: number;
  batchSize: number;
  activeThreshold: number;
}
export const POSTERIOR_STATS_DEFAULTS: PosteriorStatsOptions = {
  numPoints: 10_000,
  batchSize: 64,
  activeThreshold: 0.01,
};

export interface PosteriorStats {
  klPerDim: number[];
  klTotal: number;
  /** variance over x of each dim's posterior mean (ddof 1) */
  meanVariance: number[];
  activeUnits: number;
  activeThreshold: number;
}

export function posteriorStats(
  data: GroundTruthData,
  encoder: PosteriorEncoder,
  rng: Rng,
  options: Partial<PosteriorStatsOptions> = {},
): PosteriorStats {
  const o = { ...POSTERIOR_STATS_DEFAULTS, ...options };
  const { dim } = encoder;
  const kl = new Float64Array(dim);
  const sum = new Float64Array(dim);
  const sumSquares = new Float64Array(dim);
  for (let start = 0; start < o.numPoints; start += o.batchSize) {
    const n = Math.min(o.batchSize, o.numPoints - start);
    const x = data.sampleObservationsFromFactors(data.sampleFactors(n, rng), rng);
    const { mean, logVar } = encoder.encodePosterior(x, n);
    for (let i = 0; i < n * dim; i++) {
      const d = i % dim;
      kl[d] += 0.5 * (mean[i] * mean[i] + Math.exp(logVar[i]) - logVar[i] - 1);
      sum[d] += mean[i];
      sumSquares[d] += mean[i] * mean[i];
    }
  }
  const n = o.numPoints;
  const klPerDim = Array.from(kl, (v) => v / n);
  const meanVariance = Array.from(sum, (s, d) => (sumSquares[d] - (s * s) / n) / (n - 1));
  return {
    klPerDim,
    klTotal: klPerDim.reduce((a, b) => a + b, 0),
    meanVariance,
    activeUnits: meanVariance.filter((v) => v > o.activeThreshold).length,
    activeThreshold: o.activeThreshold,
  };
}
