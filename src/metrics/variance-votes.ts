import type { Rng } from '../engine/rng.ts';
import type { CodeBatch, CodeSource } from './code-source.ts';

/**
 * The vote sampling the FactorVAE score and Z-max-var share: codes scaled by their global variance
 * (ddof 1) over `numVarianceEstimate` points, dims of std below `pruneThreshold` left out; each point is a
 * batch in which one random factor is treated (held fixed, or let vary alone) and votes for the active dim
 * of least (FactorVAE) or largest (Z-max-var) normalised variance; a majority-vote classifier maps each
 * active dim to the factor that most often chose it (first on ties).
 */

/** Per-dim variance (ddof 1) of row-major codes [n, dim]. */
export function columnVariances(codes: Float64Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  const out = new Float64Array(dim);
  for (let i = 0; i < n * dim; i++) mean[i % dim] += codes[i] / n;
  for (let i = 0; i < n * dim; i++) out[i % dim] += (codes[i] - mean[i % dim]) ** 2;
  for (let d = 0; d < dim; d++) out[d] /= n - 1;
  return out;
}

/** The global variance of every dim and the dims whose std reaches `pruneThreshold`. */
export function activeDims(
  source: CodeSource,
  numVarianceEstimate: number,
  pruneThreshold: number,
  rng: Rng,
): { global: Float64Array; active: number[] } {
  const [pool] = source.samples([numVarianceEstimate], rng);
  const global = columnVariances(pool.codes, pool.n, source.dim);
  return { global, active: [...global.keys()].filter((d) => Math.sqrt(global[d]) >= pruneThreshold) };
}

/** votes[factor][activeIndex] over `count` points; `draw` gives the batch of a point treating `factor`. */
export function varianceVotes(
  source: CodeSource,
  count: number,
  { global, active }: { global: Float64Array; active: number[] },
  extreme: 'least' | 'largest',
  draw: (factor: number) => CodeBatch,
  rng: Rng,
): number[][] {
  const k = source.factorSizes.length;
  const sign = extreme === 'least' ? 1 : -1;
  const table = Array.from({ length: k }, () => new Array<number>(active.length).fill(0));
  for (let p = 0; p < count; p++) {
    const factor = rng.int(k);
    const batch = draw(factor);
    const local = columnVariances(batch.codes, batch.n, source.dim);
    let best = 0;
    for (let a = 1; a < active.length; a++) {
      if (sign * (local[active[a]] / global[active[a]]) < sign * (local[active[best]] / global[active[best]]))
        best = a;
    }
    table[factor][best]++;
  }
  return table;
}

/** Train and eval accuracy of the majority-vote classifier fitted on the train votes. */
export function majorityVoteAccuracy(
  train: number[][],
  evaluation: number[][],
): { trainAccuracy: number; evalAccuracy: number } {
  const classOf = train[0].map((_, a) => {
    let best = 0;
    for (let f = 1; f < train.length; f++) if (train[f][a] > train[best][a]) best = f;
    return best;
  });
  const accuracyOf = (table: number[][]) =>
    classOf.reduce((s, f, a) => s + table[f][a], 0) / table.flat().reduce((s, v) => s + v, 0);
  return { trainAccuracy: accuracyOf(train), evalAccuracy: accuracyOf(evaluation) };
}
