import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { columnVariances } from './factor-vae-score.ts';

/**
 * Z-max-var (Kim, Wang, Sahu & Pavlovic 2019, "Relevance factor VAE"), as Carbonneau et al. 2022 compute it:
 * the FactorVAE score turned around. A point lets one random factor vary over `batchSize` samples while
 * every other factor stays fixed, and votes for the active dim of largest variance (normalised by its global
 * variance, ddof 1; dims of std < `pruneThreshold` pruned); each dim is classified as the factor that
 * most often chose it (first on ties); the eval accuracy is rescaled so that chance (1/K) is 0 and 1 is 1.
 * (The reference indexes its votes by the position among active dims; we use the dim itself.)
 */
export interface ZMaxVarOptions {
  batchSize: number;
  numTrain: number;
  numEval: number;
  numVarianceEstimate: number;
  pruneThreshold: number;
}
export const Z_MAX_VAR_DEFAULTS: ZMaxVarOptions = {
  batchSize: 200,
  numTrain: 800,
  numEval: 800,
  numVarianceEstimate: 10_000,
  pruneThreshold: 0.05,
};

export interface ZMaxVarResult {
  /** (accuracy − 1/K) / (1 − 1/K) on the eval points */
  zMaxVar: number;
  trainAccuracy: number;
  evalAccuracy: number;
  activeDims: number;
}

/** votes[dim][factor]: how often letting `factor` vary made that dim the most variable. */
function votes(
  source: CodeSource,
  count: number,
  batchSize: number,
  global: Float64Array,
  active: number[],
  rng: Rng,
): number[][] {
  const k = source.factorSizes.length;
  const table = Array.from({ length: source.dim }, () => new Array<number>(k).fill(0));
  for (let p = 0; p < count; p++) {
    const factor = rng.int(k);
    const batch = source.sampleVaryingFactor(factor, batchSize, rng);
    const local = columnVariances(batch.codes, batch.n, source.dim);
    let best = active[0];
    for (const d of active) if (local[d] / global[d] > local[best] / global[best]) best = d;
    table[best][factor]++;
  }
  return table;
}

export function zMaxVar(source: CodeSource, rng: Rng, options: Partial<ZMaxVarOptions> = {}): ZMaxVarResult {
  const o = { ...Z_MAX_VAR_DEFAULTS, ...options };
  const k = source.factorSizes.length;
  const [pool] = source.samples([o.numVarianceEstimate], rng);
  const global = columnVariances(pool.codes, pool.n, source.dim);
  const active = [...global.keys()].filter((d) => Math.sqrt(global[d]) >= o.pruneThreshold);
  if (active.length === 0) return { zMaxVar: 0, trainAccuracy: 0, evalAccuracy: 0, activeDims: 0 };
  const train = votes(source, o.numTrain, o.batchSize, global, active, rng);
  const evaluation = votes(source, o.numEval, o.batchSize, global, active, rng);
  const classOf = train.map((row) => row.indexOf(Math.max(...row)));
  const accuracyOf = (table: number[][]) =>
    classOf.reduce((s, f, d) => s + table[d][f], 0) / table.flat().reduce((s, v) => s + v, 0);
  const trainAccuracy = accuracyOf(train);
  const evalAccuracy = accuracyOf(evaluation);
  const chance = 1 / k;
  return {
    zMaxVar: k > 1 ? (evalAccuracy - chance) / (1 - chance) : evalAccuracy,
    trainAccuracy,
    evalAccuracy,
    activeDims: active.length,
  };
}
