import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';

/**
 * FactorVAE score (Kim & Mnih 2018), disentanglement_lib's version: codes scaled by their global standard
 * deviation (ddof 1); dims whose std is below `pruneThreshold` are dropped; a point fixes one random factor
 * over `batchSize` samples and votes for the active dim of least normalised variance; a majority-vote
 * classifier maps dims to factors. 0 when no dim is active.
 */
export interface FactorVaeScoreOptions {
  batchSize: number;
  numTrain: number;
  numEval: number;
  numVarianceEstimate: number;
  pruneThreshold: number;
}
export const FACTOR_VAE_SCORE_DEFAULTS: FactorVaeScoreOptions = {
  batchSize: 64,
  numTrain: 10_000,
  numEval: 5_000,
  numVarianceEstimate: 10_000,
  pruneThreshold: 0.05,
};

export interface FactorVaeScoreResult {
  trainAccuracy: number;
  evalAccuracy: number;
  activeDims: number;
}

/** Per-dim variance (ddof 1) of row-major codes [n, dim]. */
export function columnVariances(codes: Float64Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  const out = new Float64Array(dim);
  for (let i = 0; i < n * dim; i++) mean[i % dim] += codes[i] / n;
  for (let i = 0; i < n * dim; i++) out[i % dim] += (codes[i] - mean[i % dim]) ** 2;
  for (let d = 0; d < dim; d++) out[d] /= n - 1;
  return out;
}

/** votes[factor][activeIndex]: how often fixing `factor` made that active dim the least variable. */
function votes(
  source: CodeSource,
  count: number,
  batchSize: number,
  global: Float64Array,
  active: number[],
  rng: Rng,
): number[][] {
  const k = source.factorSizes.length;
  const table = Array.from({ length: k }, () => new Array<number>(active.length).fill(0));
  for (let p = 0; p < count; p++) {
    const factor = rng.int(k);
    const value = source.factorValue(factor, rng);
    const batch = source.sampleWithFactor(factor, new Int32Array(batchSize).fill(value), rng);
    const local = columnVariances(batch.codes, batchSize, source.dim);
    let best = 0;
    for (let a = 1; a < active.length; a++) {
      if (local[active[a]] / global[active[a]] < local[active[best]] / global[active[best]]) best = a;
    }
    table[factor][best]++;
  }
  return table;
}

export function factorVaeScore(
  source: CodeSource,
  rng: Rng,
  options: Partial<FactorVaeScoreOptions> = {},
): FactorVaeScoreResult {
  const o = { ...FACTOR_VAE_SCORE_DEFAULTS, ...options };
  const [pool] = source.samples([o.numVarianceEstimate], rng);
  const global = columnVariances(pool.codes, pool.n, source.dim);
  const active = [...global.keys()].filter((d) => Math.sqrt(global[d]) >= o.pruneThreshold);
  if (active.length === 0) return { trainAccuracy: 0, evalAccuracy: 0, activeDims: 0 };

  const train = votes(source, o.numTrain, o.batchSize, global, active, rng);
  const evaluation = votes(source, o.numEval, o.batchSize, global, active, rng);
  // each active dim is classified as the factor that most often chose it (first on ties)
  const classOf = active.map((_, a) => {
    let best = 0;
    for (let f = 1; f < train.length; f++) if (train[f][a] > train[best][a]) best = f;
    return best;
  });
  const accuracyOf = (table: number[][]) => {
    const total = table.flat().reduce((s, v) => s + v, 0);
    return classOf.reduce((s, f, a) => s + table[f][a], 0) / total;
  };
  return {
    trainAccuracy: accuracyOf(train),
    evalAccuracy: accuracyOf(evaluation),
    activeDims: active.length,
  };
}
