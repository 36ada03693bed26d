import { UMAP } from 'umap-js';
import { Rng } from '../engine/rng.ts';

/**
 * A 2-D map of high-dimensional codes by UMAP (McInnes, Healy & Melville 2018), through `umap-js`
 * (Google PAIR's TypeScript port: MIT, no install scripts, its randomness all from one `random()` it
 * takes). Every draw — the random-projection forest, NN-descent, the initial layout and the negative
 * samples — comes from our seeded RNG, so one seed always gives the same map.
 */
export interface EmbeddingOptions {
  /** neighbours of the k-NN graph (UMAP's n_neighbors) */
  neighbors: number;
  /** how tightly points may pack in the map (UMAP's min_dist) */
  minDist: number;
  /** optimisation epochs; 0 lets umap-js choose (500 up to 10,000 points, 200 above) */
  epochs: number;
}
export const EMBEDDING_DEFAULTS: EmbeddingOptions = { neighbors: 15, minDist: 0.1, epochs: 0 };

/** Rows [n, dim] of codes mapped to rows [n, 2], reproducibly from `seed`. */
export function embedCodes(
  codes: ArrayLike<number>,
  n: number,
  dim: number,
  seed: number,
  options: Partial<EmbeddingOptions> = {},
): Float64Array {
  const { neighbors, minDist, epochs } = { ...EMBEDDING_DEFAULTS, ...options };
  if (codes.length !== n * dim)
    throw new RangeError(`${codes.length} code values, expected ${n} rows of ${dim}`);
  if (n <= neighbors) {
    throw new RangeError(`a map of ${n} codes needs more codes than its ${neighbors} neighbours`);
  }
  const rows = Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => codes[i * dim + j]));
  const rng = new Rng(seed);
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: neighbors,
    minDist,
    nEpochs: epochs,
    random: () => rng.uniform(),
  });
  const embedding = umap.fit(rows);
  const out = new Float64Array(n * 2);
  embedding.forEach((point, i) => {
    out[2 * i] = point[0];
    out[2 * i + 1] = point[1];
  });
  return out;
}
