/**
 * Lasso regression, scikit-learn's `Lasso(alpha)`: minimise (1 / 2n)‖y − Xw − b‖² + α‖w‖₁ with an
 * unpenalised intercept (X and y centred), by cyclic coordinate descent; stops when the largest weight
 * update is below `tolerance` × the largest weight and the duality gap is below `tolerance` × ‖y‖²/n, as
 * scikit-learn's does, or after `maxIterations` sweeps. X row-major [n, features].
 */
export interface LassoOptions {
  alpha: number;
  tolerance: number;
  maxIterations: number;
}
export const LASSO_DEFAULTS: LassoOptions = { alpha: 0.1, tolerance: 1e-4, maxIterations: 1000 };

export function fitLasso(
  x: Float64Array,
  y: Float64Array,
  features: number,
  options: Partial<LassoOptions> = {},
): { weights: Float64Array; intercept: number } {
  const { alpha, tolerance, maxIterations } = { ...LASSO_DEFAULTS, ...options };
  const n = y.length;
  const columns = Array.from({ length: features }, (_, f) => {
    const c = Float64Array.from({ length: n }, (_, i) => x[i * features + f]);
    const mean = c.reduce((a, b) => a + b, 0) / n;
    return { values: c.map((v) => v - mean), mean };
  });
  const yMean = y.reduce((a, b) => a + b, 0) / n;
  const residual = y.map((v) => v - yMean);
  const norms = columns.map(({ values }) => values.reduce((s, v) => s + v * v, 0));
  const w = new Float64Array(features);
  const penalty = alpha * n;
  const yNorm = residual.reduce((s, v) => s + v * v, 0);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    let largestUpdate = 0;
    let largestWeight = 0;
    for (let f = 0; f < features; f++) {
      if (norms[f] === 0) continue;
      const c = columns[f].values;
      const old = w[f];
      let rho = 0;
      for (let i = 0; i < n; i++) rho += c[i] * residual[i];
      rho += old * norms[f];
      const next = (Math.sign(rho) * Math.max(Math.abs(rho) - penalty, 0)) / norms[f];
      if (next !== old) for (let i = 0; i < n; i++) residual[i] -= (next - old) * c[i];
      w[f] = next;
      largestUpdate = Math.max(largestUpdate, Math.abs(next - old));
      largestWeight = Math.max(largestWeight, Math.abs(next));
    }
    if (largestWeight === 0 || largestUpdate / largestWeight < tolerance) {
      // duality gap of the scaled problem ½‖r‖² + αn‖w‖₁ (scikit-learn's enet_coordinate_descent)
      let dualNorm = 0;
      for (let f = 0; f < features; f++) {
        let g = 0;
        for (let i = 0; i < n; i++) g += columns[f].values[i] * residual[i];
        dualNorm = Math.max(dualNorm, Math.abs(g));
      }
      const rNorm = residual.reduce((s, v) => s + v * v, 0);
      const scale = dualNorm > penalty ? penalty / dualNorm : 1;
      const ry = residual.reduce((s, v, i) => s + v * (y[i] - yMean), 0);
      const l1 = w.reduce((s, v) => s + Math.abs(v), 0);
      const gap = 0.5 * rNorm * (1 + scale * scale) + penalty * l1 - scale * ry;
      if (gap < tolerance * yNorm) break;
    }
  }
  const intercept = yMean - columns.reduce((s, { mean }, f) => s + mean * w[f], 0);
  return { weights: w, intercept };
}
