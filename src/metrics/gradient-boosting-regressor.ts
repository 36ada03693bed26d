import { GRADIENT_BOOSTING_DEFAULTS, type GradientBoostingOptions } from './gradient-boosting.ts';
import { type Tree, TreeGrower } from './tree-grower.ts';

/**
 * Gradient-boosted regression trees, scikit-learn's `GradientBoostingRegressor()` defaults (squared error:
 * start from the mean, each stage a depth-3 Friedman-MSE tree on the residuals y − F whose leaves hold the
 * mean residual, learning rate 0.1, 100 stages), on the same tree grower as the classifier. With one stage
 * and learning rate 1 it is a `DecisionTreeRegressor(max_depth)` (the MSE and Friedman criteria rank a
 * node's splits alike). Importances as scikit-learn's, normalised once.
 */
export interface RegressionModel {
  features: number;
  learningRate: number;
  init: number;
  trees: Tree[];
  importances: Float64Array;
  /** before normalising: the mean over the trees that split of their impurity decrease / root count */
  rawImportances: Float64Array;
}

export function fitGradientBoostingRegressor(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  features: number,
  options: Partial<GradientBoostingOptions> = {},
): RegressionModel {
  const o = { ...GRADIENT_BOOSTING_DEFAULTS, ...options };
  const n = y.length;
  if (x.length !== n * features) {
    throw new Error(`x has ${x.length} values, expected ${n} rows × ${features} features`);
  }
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] / n;
  const model: RegressionModel = {
    features,
    learningRate: o.learningRate,
    init: mean,
    trees: [],
    importances: new Float64Array(features),
    rawImportances: new Float64Array(features),
  };
  let splitting = 0;
  const prediction = new Float64Array(n).fill(mean);
  const residual = new Float64Array(n);
  const grower = new TreeGrower(x, n, features, o.maxDepth);
  const importanceSum = new Float64Array(features);
  for (let stage = 0; stage < o.stages; stage++) {
    for (let i = 0; i < n; i++) residual[i] = y[i] - prediction[i];
    const tree = grower.grow(residual);
    const { leafRows } = grower;
    for (let leaf = 0; leaf < grower.leafCount; leaf++) {
      const [start, end] = [grower.leafStart[leaf], grower.leafEnd[leaf]];
      let sum = 0;
      for (let s = start; s < end; s++) sum += residual[leafRows[s]];
      const value = sum / (end - start);
      tree.value[grower.leafNode[leaf]] = value;
      for (let s = start; s < end; s++) prediction[leafRows[s]] += o.learningRate * value;
    }
    if (tree.feature[0] >= 0) {
      splitting++;
      for (let f = 0; f < features; f++) importanceSum[f] += grower.importance[f];
    }
    model.trees.push(tree);
  }
  const total = importanceSum.reduce((a, b) => a + b, 0);
  if (total > 0) for (let f = 0; f < features; f++) model.importances[f] = importanceSum[f] / total;
  if (splitting > 0)
    for (let f = 0; f < features; f++) model.rawImportances[f] = importanceSum[f] / splitting;
  return model;
}

/** Predictions for the rows of x, row-major [n, features] (rounded to float32 like the fit). */
export function predictRegression(model: RegressionModel, x: ArrayLike<number>, n: number): Float64Array {
  const { features, trees, learningRate } = model;
  const x32 = Float32Array.from(x);
  const out = new Float64Array(n).fill(model.init);
  for (const { feature, threshold, left, right, value } of trees) {
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (feature[node] >= 0)
        node = x32[i * features + feature[node]] <= threshold[node] ? left[node] : right[node];
      out[i] += learningRate * value[node];
    }
  }
  return out;
}
