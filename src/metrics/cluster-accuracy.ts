import { hungarian } from '../math/hungarian.ts';

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
