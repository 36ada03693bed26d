import { symmetricEigen } from '../math/symmetric-eigen.ts';

/**
 * Linear discriminant analysis for speaker embeddings: the directions w that maximise between-speaker
 * over within-speaker scatter, wᵀ S_b w / wᵀ S_w w, i.e. the top generalised eigenvectors of
 * S_b w = λ S_w w. Solved by whitening S_w (its eigendecomposition, S_w = U Λ Uᵀ, W = U Λ^-½) and
 * diagonalising Wᵀ S_b W. Dense float64; fine for embeddings of a few hundred dims.
 */
export interface Lda {
  inDim: number;
  outDim: number;
  /** the training embeddings' mean, subtracted before projecting */
  mean: Float64Array;
  /** [inDim, outDim] */
  projection: Float64Array;
  /** generalised eigenvalues of the kept directions, largest first */
  eigenvalues: Float64Array;
}

/**
 * Fits LDA on row-major [n, dim] embeddings with a class label each; keeps `outDim` directions (at
 * most classes − 1, the rank of S_b). S_w gets `regularisation` times its mean eigenvalue added to the
 * diagonal, so that fewer samples than dims still give a solvable problem.
 */
export function fitLda(
  vectors: ArrayLike<number>,
  dim: number,
  labels: readonly string[],
  { outDim, regularisation = 1e-6 }: { outDim?: number; regularisation?: number } = {},
): Lda {
  const n = labels.length;
  if (vectors.length !== n * dim)
    throw new Error(`LDA: ${vectors.length} values are not ${n} vectors of ${dim}`);
  const classes = [...new Set(labels)];
  if (classes.length < 2) throw new Error(`LDA needs at least two classes, got ${classes.length}`);
  const keep = Math.min(outDim ?? dim, dim, classes.length - 1);
  const index = new Map(classes.map((c, i) => [c, i]));
  const mean = new Float64Array(dim);
  const classMeans = new Float64Array(classes.length * dim);
  const counts = new Float64Array(classes.length);
  for (let i = 0; i < n; i++) {
    const k = index.get(labels[i])!;
    counts[k]++;
    for (let f = 0; f < dim; f++) {
      mean[f] += vectors[i * dim + f] / n;
      classMeans[k * dim + f] += vectors[i * dim + f];
    }
  }
  for (let k = 0; k < classes.length; k++) for (let f = 0; f < dim; f++) classMeans[k * dim + f] /= counts[k];
  const within = new Float64Array(dim * dim);
  const between = new Float64Array(dim * dim);
  const d = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const k = index.get(labels[i])!;
    for (let f = 0; f < dim; f++) d[f] = vectors[i * dim + f] - classMeans[k * dim + f];
    for (let a = 0; a < dim; a++) for (let b = a; b < dim; b++) within[a * dim + b] += d[a] * d[b];
  }
  for (let k = 0; k < classes.length; k++) {
    for (let f = 0; f < dim; f++) d[f] = classMeans[k * dim + f] - mean[f];
    for (let a = 0; a < dim; a++)
      for (let b = a; b < dim; b++) between[a * dim + b] += counts[k] * d[a] * d[b];
  }
  let trace = 0;
  for (let a = 0; a < dim; a++) {
    trace += within[a * dim + a];
    for (let b = 0; b < a; b++) {
      within[a * dim + b] = within[b * dim + a];
      between[a * dim + b] = between[b * dim + a];
    }
  }
  for (let a = 0; a < dim; a++) within[a * dim + a] += regularisation * (trace / dim || 1);
  // W = U Λ^-½ whitens S_w: Wᵀ S_w W = I
  const sw = symmetricEigen(within, dim);
  const whiten = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let k = 0; k < dim; k++)
      whiten[r * dim + k] = sw.vectors[r * dim + k] / Math.sqrt(Math.max(sw.values[k], 1e-300));
  }
  // Wᵀ S_b W, then its top eigenvectors V: the projection is W V
  const sbw = new Float64Array(dim * dim);
  for (let r = 0; r < dim; r++) {
    for (let k = 0; k < dim; k++) {
      let s = 0;
      for (let m = 0; m < dim; m++) s += between[r * dim + m] * whiten[m * dim + k];
      sbw[r * dim + k] = s;
    }
  }
  const inner = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++) {
    for (let k = i; k < dim; k++) {
      let s = 0;
      for (let r = 0; r < dim; r++) s += whiten[r * dim + i] * sbw[r * dim + k];
      inner[i * dim + k] = s;
      inner[k * dim + i] = s;
    }
  }
  const sb = symmetricEigen(inner, dim);
  const projection = new Float64Array(dim * keep);
  for (let r = 0; r < dim; r++) {
    for (let j = 0; j < keep; j++) {
      let s = 0;
      for (let m = 0; m < dim; m++) s += whiten[r * dim + m] * sb.vectors[m * dim + j];
      projection[r * keep + j] = s;
    }
  }
  return { inDim: dim, outDim: keep, mean, projection, eigenvalues: sb.values.slice(0, keep) };
}

/** (x − mean) P for every row of [n, inDim] vectors: [n, outDim]. */
export function applyLda(lda: Lda, vectors: ArrayLike<number>): Float32Array {
  const { inDim, outDim, mean, projection } = lda;
  const n = vectors.length / inDim;
  const out = new Float32Array(n * outDim);
  const x = new Float64Array(inDim);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < inDim; f++) x[f] = vectors[i * inDim + f] - mean[f];
    for (let j = 0; j < outDim; j++) {
      let s = 0;
      for (let f = 0; f < inDim; f++) s += x[f] * projection[f * outDim + j];
      out[i * outDim + j] = s;
    }
  }
  return out;
}
