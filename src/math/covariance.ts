/** Sample statistics of row-major [n, dim] float64 values. */

/** Covariance (ddof 1) of row-major [n, dim] values, as numpy.cov of the transposed array. */
export function covariance(values: Float64Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n * dim; i++) mean[i % dim] += values[i] / n;
  const cov = new Float64Array(dim * dim);
  for (let r = 0; r < n; r++) {
    for (let a = 0; a < dim; a++) {
      const da = values[r * dim + a] - mean[a];
      for (let b = a; b < dim; b++) cov[a * dim + b] += da * (values[r * dim + b] - mean[b]);
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      cov[a * dim + b] /= n - 1;
      cov[b * dim + a] = cov[a * dim + b];
    }
  }
  return cov;
}
