/**
 * Unsupervised classification accuracy of a discrete code: clusters matched one-to-one to classes so that
 * the most points agree (the Hungarian algorithm on the contingency table), then the fraction of points
 * whose cluster maps to their class. With more clusters than classes the extra clusters match nothing
 * and count as errors; chance is about 1 / classes.
 */
export interface ClusterAccuracy {
  accuracy: number;
  /** class matched to each cluster, −1 for none */
  classOfCluster: number[];
  /** counts[cluster][class] */
  counts: number[][];
}

export function clusterAccuracy(
  clusters: ArrayLike<number>,
  classes: ArrayLike<number>,
  numClusters: number,
  numClasses: number,
): ClusterAccuracy {
  const counts = Array.from({ length: numClusters }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < clusters.length; i++) counts[clusters[i]][classes[i]]++;
  const size = Math.max(numClusters, numClasses);
  // maximise agreement = minimise (max − count) on a square matrix padded with zero counts
  const top = Math.max(0, ...counts.flat());
  const cost = Array.from({ length: size }, (_, r) =>
    Array.from({ length: size }, (_, c) => top - (counts[r]?.[c] ?? 0)),
  );
  const columnOfRow = hungarian(cost);
  const classOfCluster = Array.from({ length: numClusters }, (_, r) =>
    columnOfRow[r] < numClasses ? columnOfRow[r] : -1,
  );
  const agree = classOfCluster.reduce((s, c, r) => s + (c >= 0 ? counts[r][c] : 0), 0);
  return { accuracy: clusters.length > 0 ? agree / clusters.length : 0, classOfCluster, counts };
}

/** Minimum-cost perfect matching on a square cost matrix (Kuhn–Munkres with potentials); column of each row. */
export function hungarian(cost: number[][]): number[] {
  const n = cost.length;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const rowOfColumn = new Int32Array(n + 1); // 1-based; 0 = unmatched
  const way = new Int32Array(n + 1);
  for (let row = 1; row <= n; row++) {
    rowOfColumn[0] = row;
    let column = 0;
    const minimum = new Float64Array(n + 1).fill(Number.POSITIVE_INFINITY);
    const used = new Uint8Array(n + 1);
    do {
      used[column] = 1;
      const r = rowOfColumn[column];
      let delta = Number.POSITIVE_INFINITY;
      let next = 0;
      for (let c = 1; c <= n; c++) {
        if (used[c]) continue;
        const reduced = cost[r - 1][c - 1] - u[r] - v[c];
        if (reduced < minimum[c]) {
          minimum[c] = reduced;
          way[c] = column;
        }
        if (minimum[c] < delta) {
          delta = minimum[c];
          next = c;
        }
      }
      for (let c = 0; c <= n; c++) {
        if (used[c]) {
          u[rowOfColumn[c]] += delta;
          v[c] -= delta;
        } else {
          minimum[c] -= delta;
        }
      }
      column = next;
    } while (rowOfColumn[column] !== 0);
    do {
      const previous = way[column];
      rowOfColumn[column] = rowOfColumn[previous];
      column = previous;
    } while (column !== 0);
  }
  const columnOfRow = new Array<number>(n).fill(-1);
  for (let c = 1; c <= n; c++) if (rowOfColumn[c] > 0) columnOfRow[rowOfColumn[c] - 1] = c - 1;
  return columnOfRow;
}
