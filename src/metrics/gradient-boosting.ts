/**
 * Gradient-boosted trees for classification, scikit-learn's `GradientBoostingClassifier()` defaults (what
 * DCI fits): 100 stages, learning rate 0.1, depth-3 regression trees split by Friedman's MSE criterion on
 * the negative gradient of the deviance, at least 1 sample per leaf, no subsampling. K > 2 classes: one
 * tree per class and stage on y_k − softmax_k, leaves set by Friedman's Newton step
 * (K−1)/K · Σr / Σp(1−p); 2 classes: one tree on the log-odds, leaves Σr / Σp(1−p). Starts from the class
 * priors. Like scikit-learn, features are rounded to float32 (its trees' dtype) when fitting and predicting,
 * so thresholds and ties fall where its do.
 *
 * Feature importances as scikit-learn computes them: each tree's weighted impurity decreases per feature
 * (divided by the root's sample count), averaged over the trees that split at all, normalised once.
 *
 * Ties between features are shared, deterministically: see tree-grower.ts.
 */
import { treeKernels } from './native-metrics.ts';
import { type Tree, TreeGrower } from './tree-grower.ts';

export interface GradientBoostingOptions {
  stages: number;
  learningRate: number;
  maxDepth: number;
}
export const GRADIENT_BOOSTING_DEFAULTS: GradientBoostingOptions = {
  stages: 100,
  learningRate: 0.1,
  maxDepth: 3,
};

export interface GradientBoostingModel {
  /** the distinct labels, ascending; predictions are among them */
  classes: number[];
  features: number;
  learningRate: number;
  /** initial raw score per output (one output for two classes) */
  init: Float64Array;
  /** trees[stage][output] */
  trees: Tree[][];
  /** normalised feature importances (all 0 when no tree split) */
  importances: Float64Array;
  /** before normalising: the mean over the trees that split of their impurity decrease / root count */
  rawImportances: Float64Array;
}

/**
 * Fits the classifier on x, row-major [n, features], and labels [n] (any integers).
 * With a single class, no tree is grown and every prediction is that class.
 */
export function fitGradientBoosting(
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  features: number,
  options: Partial<GradientBoostingOptions> = {},
): GradientBoostingModel {
  return fitGradientBoostingPredicting(x, labels, features, options).model;
}

/**
 * fitGradientBoosting, and the class it predicts for every training row, from the raw scores the fit keeps:
 * they are decisionFunction's on x to the bit (the same leaves, added in the same order), without
 * walking the trees again.
 */
export function fitGradientBoostingPredicting(
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  features: number,
  options: Partial<GradientBoostingOptions> = {},
): { model: GradientBoostingModel; predicted: Int32Array } {
  const o = { ...GRADIENT_BOOSTING_DEFAULTS, ...options };
  const n = labels.length;
  if (x.length !== n * features) {
    throw new Error(`x has ${x.length} values, expected ${n} rows × ${features} features`);
  }
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const k = classes.length;
  const model: GradientBoostingModel = {
    classes,
    features,
    learningRate: o.learningRate,
    init: new Float64Array(k === 2 ? 1 : Math.max(k, 1)),
    trees: [],
    importances: new Float64Array(features),
    rawImportances: new Float64Array(features),
  };
  if (k < 2) return { model, predicted: new Int32Array(n).fill(classes[0] ?? 0) };

  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(labels, (l) => index.get(l)!);
  const outputs = k === 2 ? 1 : k;
  const prior = new Float64Array(k);
  for (let i = 0; i < n; i++) prior[y[i]]++;
  for (let c = 0; c < k; c++) prior[c] /= n;
  // scikit-learn's init estimator predicts the priors; the raw score is their log (log-odds for two)
  if (k === 2) model.init[0] = Math.log(prior[1] / prior[0]);
  else for (let c = 0; c < k; c++) model.init[c] = Math.log(prior[c]);

  const raw = Array.from({ length: outputs }, (_, j) => new Float64Array(n).fill(model.init[j]));
  const probability = Array.from({ length: outputs }, () => new Float64Array(n));
  const residual = new Float64Array(n);
  const hessian = new Float64Array(n);
  const scratch = new Float64Array(n);
  const grower = new TreeGrower(x, n, features, o.maxDepth);
  const importanceSum = new Float64Array(features);
  const scale = k === 2 ? 1 : (k - 1) / k;
  let splitting = 0;

  for (let stage = 0; stage < o.stages; stage++) {
    probabilities(raw, probability, n, scratch);
    const stageTrees: Tree[] = [];
    for (let j = 0; j < outputs; j++) {
      const target = k === 2 ? 1 : j;
      const p = probability[j];
      for (let i = 0; i < n; i++) {
        residual[i] = (y[i] === target ? 1 : 0) - p[i];
        hessian[i] = p[i] * (1 - p[i]);
      }
      const tree = grower.grow(residual);
      // Friedman's one Newton step per leaf, over the rows the leaf holds
      const r = raw[j];
      const { leafRows } = grower;
      for (let leaf = 0; leaf < grower.leafCount; leaf++) {
        const [start, end] = [grower.leafStart[leaf], grower.leafEnd[leaf]];
        let numerator = 0;
        let denominator = 0;
        for (let s = start; s < end; s++) {
          const i = leafRows[s];
          numerator += residual[i];
          denominator += hessian[i];
        }
        const value = Math.abs(denominator) < 1e-150 ? 0 : (scale * numerator) / denominator;
        tree.value[grower.leafNode[leaf]] = value;
        for (let s = start; s < end; s++) r[leafRows[s]] += o.learningRate * value;
      }
      if (tree.feature[0] >= 0) {
        splitting++;
        for (let f = 0; f < features; f++) importanceSum[f] += grower.importance[f];
      }
      stageTrees.push(tree);
    }
    model.trees.push(stageTrees);
  }
  // the mean over the trees that split, normalised: the mean's divisor cancels
  const total = importanceSum.reduce((a, b) => a + b, 0);
  if (total > 0) for (let f = 0; f < features; f++) model.importances[f] = importanceSum[f] / total;
  if (splitting > 0)
    for (let f = 0; f < features; f++) model.rawImportances[f] = importanceSum[f] / splitting;
  const predicted = new Int32Array(n);
  const scores = new Float64Array(n * outputs);
  for (let j = 0; j < outputs; j++) for (let i = 0; i < n; i++) scores[i * outputs + j] = raw[j][i];
  classesOfScores(model, scores, n, predicted);
  return { model, predicted };
}

/** Raw scores (scikit-learn's decision_function), row-major [n, outputs]. */
export function decisionFunction(
  model: GradientBoostingModel,
  x: ArrayLike<number>,
  n: number,
): Float64Array {
  const { features, init, trees, learningRate } = model;
  const outputs = init.length;
  const x32 = Float32Array.from(x);
  // class-major while the trees add up: one tree's writes stay in one class's n values
  const byClass = Array.from({ length: outputs }, (_, j) => new Float64Array(n).fill(init[j]));
  // tree by tree over all rows, adding the stages in the order training did
  const kernels = treeKernels();
  for (const stage of trees) {
    for (let j = 0; j < outputs; j++) {
      const { feature, threshold, left, right, value } = stage[j];
      const column = byClass[j];
      if (kernels) {
        kernels.treePredict(
          feature,
          threshold,
          left,
          right,
          value,
          x32,
          n,
          features,
          learningRate,
          column,
          1,
          0,
        );
        continue;
      }
      for (let i = 0; i < n; i++) {
        let node = 0;
        while (feature[node] >= 0) {
          node = x32[i * features + feature[node]] <= threshold[node] ? left[node] : right[node];
        }
        column[i] += learningRate * value[node];
      }
    }
  }
  const out = new Float64Array(n * outputs);
  for (let j = 0; j < outputs; j++) for (let i = 0; i < n; i++) out[i * outputs + j] = byClass[j][i];
  return out;
}

/** The predicted class of every row of x, row-major [n, features]. */
export function predictGradientBoosting(
  model: GradientBoostingModel,
  x: ArrayLike<number>,
  n: number,
): Int32Array {
  const { classes } = model;
  const out = new Int32Array(n);
  if (classes.length < 2) return out.fill(classes[0] ?? 0);
  return classesOfScores(model, decisionFunction(model, x, n), n, out);
}

/** The class of the highest raw score of each row (scores row-major [n, outputs]), into out. */
function classesOfScores(
  model: GradientBoostingModel,
  scores: Float64Array,
  n: number,
  out: Int32Array,
): Int32Array {
  const { classes } = model;
  const outputs = model.init.length;
  for (let i = 0; i < n; i++) {
    if (outputs === 1) out[i] = classes[scores[i] > 0 ? 1 : 0];
    else {
      let best = 0;
      for (let j = 1; j < outputs; j++) if (scores[i * outputs + j] > scores[i * outputs + best]) best = j;
      out[i] = classes[best];
    }
  }
  return out;
}

/** The normalised impurity-based importances (scikit-learn's feature_importances_). */
export function featureImportances(model: GradientBoostingModel): Float64Array {
  return model.importances;
}

function probabilities(raw: Float64Array[], out: Float64Array[], n: number, top: Float64Array): void {
  if (raw.length === 1) {
    for (let i = 0; i < n; i++) out[0][i] = 1 / (1 + Math.exp(-raw[0][i]));
    return;
  }
  // class by class over all rows (each loop streams over flat arrays), the softmax's sums in class order
  const z = out[0];
  top.fill(Number.NEGATIVE_INFINITY);
  for (const r of raw) for (let i = 0; i < n; i++) if (r[i] > top[i]) top[i] = r[i];
  for (let j = raw.length - 1; j >= 0; j--) {
    const r = raw[j];
    const o = out[j];
    for (let i = 0; i < n; i++) o[i] = Math.exp(r[i] - top[i]);
  }
  const sum = top; // the maxima are spent
  sum.set(z);
  for (let j = 1; j < raw.length; j++) {
    const o = out[j];
    for (let i = 0; i < n; i++) sum[i] += o[i];
  }
  for (const o of out) for (let i = 0; i < n; i++) o[i] /= sum[i];
}
