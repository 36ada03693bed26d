import { cholesky, solveCholesky } from '../math/cholesky.ts';

/**
 * Ridge regression, scikit-learn's `Ridge()` (α = 1, with an unpenalised intercept): the centred normal
 * equations (XᵀX + αI) w = Xᵀy solved by Cholesky, intercept ȳ − x̄ᵀw. The regressor where a metric's
 * classifier is a linear model and the factor is continuous (explicitness, downstream).
 */
export interface RidgeModel {
  weights: Float64Array;
  intercept: number;
}

export function fitRidge(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  features: number,
  alpha = 1,
): RidgeModel {
  const n = y.length;
  const mean = new Float64Array(features);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    yMean += y[i] / n;
    for (let f = 0; f < features; f++) mean[f] += x[i * features + f] / n;
  }
  const gram = new Float64Array(features * features);
  const xy = new Float64Array(features);
  const row = new Float64Array(features);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < features; f++) row[f] = x[i * features + f] - mean[f];
    const yc = y[i] - yMean;
    for (let a = 0; a < features; a++) {
      xy[a] += row[a] * yc;
      for (let b = 0; b <= a; b++) gram[a * features + b] += row[a] * row[b];
    }
  }
  for (let a = 0; a < features; a++) {
    for (let b = 0; b < a; b++) gram[b * features + a] = gram[a * features + b];
    gram[a * features + a] += alpha;
  }
  const weights = solveCholesky(cholesky(gram, features), features, xy);
  let intercept = yMean;
  for (let f = 0; f < features; f++) intercept -= mean[f] * weights[f];
  return { weights, intercept };
}

export function predictRidge(model: RidgeModel, x: ArrayLike<number>, n: number): Float64Array {
  const features = model.weights.length;
  return Float64Array.from({ length: n }, (_, i) => {
    let v = model.intercept;
    for (let f = 0; f < features; f++) v += model.weights[f] * x[i * features + f];
    return v;
  });
}
