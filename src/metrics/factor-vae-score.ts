import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { activeDims, majorityVoteAccuracy, varianceVotes } from './variance-votes.ts';

export { columnVariances } from './variance-votes.ts';

/**
 * FactorVAE score (Kim & Mnih 2018), disentanglement_lib's version: codes scaled by their global standard
 * deviation (ddof 1); dims whose std is below `pruneThreshold` are dropped; a point fixes one random factor
 * over `batchSize` samples and votes for the active dim of least normalised variance; a majority-vote
 * classifier maps dims to factors (variance-votes.ts). 0 when no dim is active.
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

export function factorVaeScore(
  source: CodeSource,
  rng: Rng,
  options: Partial<FactorVaeScoreOptions> = {},
): FactorVaeScoreResult {
  const o = { ...FACTOR_VAE_SCORE_DEFAULTS, ...options };
  const dims = activeDims(source, o.numVarianceEstimate, o.pruneThreshold, rng);
  if (dims.active.length === 0) return { trainAccuracy: 0, evalAccuracy: 0, activeDims: 0 };
  // a point fixes one factor at a value drawn as the source draws its points
  const draw = (factor: number) =>
    source.sampleWithFactor(factor, new Int32Array(o.batchSize).fill(source.factorValue(factor, rng)), rng);
  const train = varianceVotes(source, o.numTrain, dims, 'least', draw, rng);
  const evaluation = varianceVotes(source, o.numEval, dims, 'least', draw, rng);
  return { ...majorityVoteAccuracy(train, evaluation), activeDims: dims.active.length };
}
