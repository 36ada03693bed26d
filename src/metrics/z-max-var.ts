import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { activeDims, majorityVoteAccuracy, varianceVotes } from './variance-votes.ts';

/**
 * Z-max-var (Kim, Wang, Sahu & Pavlovic 2019, "Relevance factor VAE"), as Carbonneau et al. 2022 compute it:
 * the FactorVAE score turned around. A point lets one random factor vary over `batchSize` samples while
 * every other factor stays fixed, and votes for the active dim of largest variance (normalised by its global
 * variance, ddof 1; dims of std < `pruneThreshold` pruned); each dim is classified as the factor that
 * most often chose it (first on ties; the sampling is the FactorVAE score's, variance-votes.ts); the eval
 * accuracy is rescaled so that chance (1/K) is 0 and 1 is 1.
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

export function zMaxVar(source: CodeSource, rng: Rng, options: Partial<ZMaxVarOptions> = {}): ZMaxVarResult {
  const o = { ...Z_MAX_VAR_DEFAULTS, ...options };
  const k = source.factorSizes.length;
  const dims = activeDims(source, o.numVarianceEstimate, o.pruneThreshold, rng);
  if (dims.active.length === 0) return { zMaxVar: 0, trainAccuracy: 0, evalAccuracy: 0, activeDims: 0 };
  const draw = (factor: number) => source.sampleVaryingFactor(factor, o.batchSize, rng);
  const train = varianceVotes(source, o.numTrain, dims, 'largest', draw, rng);
  const evaluation = varianceVotes(source, o.numEval, dims, 'largest', draw, rng);
  const { trainAccuracy, evalAccuracy } = majorityVoteAccuracy(train, evaluation);
  const chance = 1 / k;
  return {
    zMaxVar: k > 1 ? (evalAccuracy - chance) / (1 - chance) : evalAccuracy,
    trainAccuracy,
    evalAccuracy,
    activeDims: dims.active.length,
  };
}
