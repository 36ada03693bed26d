/** Cholesky factorisation of small dense symmetric positive-definite matrices and what it gives, float64. */

/** The lower Cholesky factor L (A = L Lᵀ) of a symmetric positive-definite [n, n] matrix. */
export function cholesky(matrix: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = matrix[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      if (i === j) {
        if (!(s > 0)) throw new Error(`cholesky: matrix is not positive definite (pivot ${i} is ${s})`);
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j];
    }
  }
  return l;
}

/**
 * The inverse of A = L Lᵀ from its Cholesky factor: X = L⁻¹ row by row (forward substitution), then
 * A⁻¹ = Xᵀ X as a sum of outer products of X's rows; every inner loop runs along a row.
 */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    x[row + i] = 1;
    for (let k = 0; k < i; k++) {
      const lik = l[row + k];
      if (lik === 0) continue;
      const other = k * n;
      for (let j = 0; j <= k; j++) x[row + j] -= lik * x[other + j];
    }
    const d = 1 / l[row + i];
    for (let j = 0; j <= i; j++) x[row + j] *= d;
  }
  const inverse = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const row = k * n;
    for (let i = 0; i <= k; i++) {
      const xki = x[row + i];
      if (xki === 0) continue;
      const out = i * n;
      for (let j = i; j <= k; j++) inverse[out + j] += xki * x[row + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) inverse[i * n + j] = inverse[j * n + i];
  return inverse;
}

/** Solves L Lᵀ x = b (b is left as it is). */
export function solveCholesky(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const x = Float64Array.from(b);
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * x[k];
    x[i] = s / l[i * n + i];
  }
  return x;
}

/** The inverse of a symmetric positive-definite [n, n] matrix. */
export function inverseSpd(matrix: Float64Array, n: number): Float64Array {
  return inverseFromCholesky(cholesky(matrix, n), n);
}

/** log det of a symmetric positive-definite [n, n] matrix: 2 Σ log L_ii. */
export function logDeterminant(matrix: Float64Array, n: number): number {
  const l = cholesky(matrix, n);
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(l[i * n + i]);
  return logDet;
}
