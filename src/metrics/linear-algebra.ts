/** Small dense symmetric-matrix helpers for the unsupervised metrics (dims ≤ a few hundred). */

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

/** Eigenvalues of a symmetric [dim, dim] matrix by cyclic Jacobi rotations. */
export function symmetricEigenvalues(matrix: Float64Array, dim: number): Float64Array {
  const a = Float64Array.from(matrix);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < dim; p++) for (let q = p + 1; q < dim; q++) off += a[p * dim + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < dim; p++) {
      for (let q = p + 1; q < dim; q++) {
        const apq = a[p * dim + q];
        if (apq === 0) continue;
        const theta = (a[q * dim + q] - a[p * dim + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < dim; k++) {
          const akp = a[k * dim + p];
          const akq = a[k * dim + q];
          a[k * dim + p] = c * akp - s * akq;
          a[k * dim + q] = s * akp + c * akq;
        }
        for (let k = 0; k < dim; k++) {
          const apk = a[p * dim + k];
          const aqk = a[q * dim + k];
          a[p * dim + k] = c * apk - s * aqk;
          a[q * dim + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: dim }, (_, i) => a[i * dim + i]);
}
