/**
 * Gradient-boosted trees for classification, scikit-learn's `GradientBoostingClassifier()` defaults (what
 * DCI fits): 100 stages, learning rate 0.1, depth-3 regression trees split by Friedman's MSE criterion on
 * the deviance residuals, min 1 sample per leaf, no subsampling. K > 2 classes: one tree per class and
 * stage on y_k − softmax_k, leaves set by Friedman's Newton step (K−1)/K · Σr / Σp(1−p); 2 classes: one
 * tree on the log-odds. Starts from the class priors.
 *
 * Like scikit-learn, features are rounded to float32 before fitting and predicting (its trees' dtype), so
 * thresholds and ties fall where its do.
 *
 * Feature importances as scikit-learn computes them: each tree's weighted impurity decreases per feature
 * (divided by the root's sample count), averaged over all trees, normalised once. Where two features give
 * the very same best split (identical codes), the tree splits on the first but their importance is shared
 * equally — scikit-learn picks one at random per node, which shares it in expectation.
 */
export interface BoostingOptions {
  stages: number;
  learningRate: number;
  maxDepth: number;
}
export const BOOSTING_DEFAULTS: BoostingOptions = { stages: 100, learningRate: 0.1, maxDepth: 3 };

/** Values closer than this count as equal when choosing thresholds (scikit-learn's FEATURE_THRESHOLD). */
const FEATURE_THRESHOLD = 1e-7;

interface Tree {
  /** per node: split feature (−1 for a leaf), threshold, children, leaf value */
  feature: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export interface BoostedTrees {
  classes: number[];
  features: number;
  learningRate: number;
  /** initial raw score per output (one output for two classes) */
  init: Float64Array;
  /** trees[stage][output] */
  trees: Tree[][];
  /** normalised feature importances */
  importances: Float64Array;
}

/** Rows of x are row-major [n, features]. */
export function fitBoostedTrees(
  features64: Float64Array,
  labels: ArrayLike<number>,
  features: number,
  options: Partial<BoostingOptions> = {},
): BoostedTrees {
  const o = { ...BOOSTING_DEFAULTS, ...options };
  const x = features64.map(Math.fround);
  const n = labels.length;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const k = classes.length;
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Int32Array.from(labels, (l) => index.get(l)!);
  const outputs = k === 2 ? 1 : k;
  const importanceSum = new Float64Array(features);
  if (k < 2)
    return {
      classes,
      features,
      learningRate: o.learningRate,
      init: new Float64Array(1),
      trees: [],
      importances: importanceSum,
    };

  const prior = new Float64Array(k);
  for (let i = 0; i < n; i++) prior[y[i]] += 1 / n;
  const init = k === 2 ? Float64Array.of(Math.log(prior[1] / prior[0])) : prior.map((p) => Math.log(p));
  const raw = Array.from({ length: outputs }, (_, j) => new Float64Array(n).fill(init[j]));
  const sorted = presort(x, n, features);
  const grower = new TreeGrower(x, n, features, sorted, o.maxDepth);
  const probability = Array.from({ length: outputs }, () => new Float64Array(n));
  const residual = new Float64Array(n);
  const trees: Tree[][] = [];
  let relevantTrees = 0;

  for (let stage = 0; stage < o.stages; stage++) {
    probabilities(raw, probability, n);
    const stageTrees: Tree[] = [];
    for (let j = 0; j < outputs; j++) {
      const target = k === 2 ? 1 : j;
      const p = probability[j];
      for (let i = 0; i < n; i++) residual[i] = (y[i] === target ? 1 : 0) - p[i];
      const { tree, leafOf, importance } = grower.grow(residual);
      // Friedman's one Newton step per leaf
      const numerator = new Float64Array(tree.value.length);
      const denominator = new Float64Array(tree.value.length);
      for (let i = 0; i < n; i++) {
        numerator[leafOf[i]] += residual[i];
        denominator[leafOf[i]] += p[i] * (1 - p[i]);
      }
      const scale = k === 2 ? 1 : (k - 1) / k;
      for (let leaf = 0; leaf < tree.value.length; leaf++) {
        if (tree.feature[leaf] >= 0) continue;
        tree.value[leaf] =
          Math.abs(denominator[leaf]) < 1e-150 ? 0 : (scale * numerator[leaf]) / denominator[leaf];
      }
      const r = raw[j];
      for (let i = 0; i < n; i++) r[i] += o.learningRate * tree.value[leafOf[i]];
      stageTrees.push(tree);
      if (tree.feature[0] >= 0) {
        relevantTrees++;
        for (let f = 0; f < features; f++) importanceSum[f] += importance[f];
      }
    }
    trees.push(stageTrees);
  }
  const total = importanceSum.reduce((a, b) => a + b, 0);
  const importances = importanceSum.map((v) => (relevantTrees > 0 && total > 0 ? v / total : 0));
  return { classes, features, learningRate: o.learningRate, init, trees, importances };
}

/** Predicted class of every row of x. */
export function predictBoostedTrees(model: BoostedTrees, x: Float64Array, n: number): Int32Array {
  const { classes, features, trees, init, learningRate } = model;
  const out = new Int32Array(n);
  if (classes.length < 2) return out.fill(classes[0] ?? 0);
  const outputs = init.length;
  const raw = new Float64Array(outputs);
  for (let i = 0; i < n; i++) {
    raw.set(init);
    for (const stage of trees) {
      for (let j = 0; j < outputs; j++) {
        const tree = stage[j];
        let node = 0;
        while (tree.feature[node] >= 0) {
          node =
            x[i * features + tree.feature[node]] <= tree.threshold[node] ? tree.left[node] : tree.right[node];
        }
        raw[j] += learningRate * tree.value[node];
      }
    }
    if (outputs === 1) out[i] = classes[raw[0] > 0 ? 1 : 0];
    else {
      let best = 0;
      for (let j = 1; j < outputs; j++) if (raw[j] > raw[best]) best = j;
      out[i] = classes[best];
    }
  }
  return out;
}

function probabilities(raw: Float64Array[], out: Float64Array[], n: number): void {
  if (raw.length === 1) {
    for (let i = 0; i < n; i++) out[0][i] = 1 / (1 + Math.exp(-raw[0][i]));
    return;
  }
  for (let i = 0; i < n; i++) {
    let top = Number.NEGATIVE_INFINITY;
    for (const r of raw) top = Math.max(top, r[i]);
    let z = 0;
    for (let j = 0; j < raw.length; j++) {
      out[j][i] = Math.exp(raw[j][i] - top);
      z += out[j][i];
    }
    for (let j = 0; j < raw.length; j++) out[j][i] /= z;
  }
}

/** Row indices sorted by each feature's value, once for all trees. */
function presort(x: Float64Array, n: number, features: number): Int32Array[] {
  return Array.from({ length: features }, (_, f) => {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    return order.sort((a, b) => x[a * features + f] - x[b * features + f] || a - b);
  });
}

/**
 * Grows depth-limited regression trees level by level: at each level one pass over every feature's presorted
 * rows evaluates the candidate thresholds of all open nodes at once.
 */
class TreeGrower {
  private nodeOf: Int32Array;
  constructor(
    private x: Float64Array,
    private n: number,
    private features: number,
    private sorted: Int32Array[],
    private maxDepth: number,
  ) {
    this.nodeOf = new Int32Array(n);
  }

  grow(r: Float64Array): { tree: Tree; leafOf: Int32Array; importance: Float64Array } {
    const { x, n, features, sorted, nodeOf } = this;
    const maxNodes = 2 ** (this.maxDepth + 1) - 1;
    const tree: Tree = {
      feature: new Int32Array(maxNodes).fill(-1),
      threshold: new Float64Array(maxNodes),
      left: new Int32Array(maxNodes).fill(-1),
      right: new Int32Array(maxNodes).fill(-1),
      value: new Float64Array(maxNodes),
    };
    const importance = new Float64Array(features);
    nodeOf.fill(0);
    const count = new Float64Array(maxNodes);
    const sum = new Float64Array(maxNodes);
    const sumSquares = new Float64Array(maxNodes);
    for (let i = 0; i < n; i++) {
      count[0]++;
      sum[0] += r[i];
      sumSquares[0] += r[i] * r[i];
    }
    let nodes = 1;
    let open = [0];
    for (let depth = 0; depth < this.maxDepth && open.length > 0; depth++) {
      // a node splits if it has two samples and non-zero impurity
      const splittable = open.filter(
        (t) => count[t] >= 2 && sumSquares[t] / count[t] - (sum[t] / count[t]) ** 2 > 1e-14,
      );
      if (splittable.length === 0) break;
      const isOpen = new Uint8Array(maxNodes);
      for (const t of splittable) isOpen[t] = 1;
      const best = new Float64Array(maxNodes).fill(Number.NEGATIVE_INFINITY);
      const bestFeature = new Int32Array(maxNodes).fill(-1);
      const bestThreshold = new Float64Array(maxNodes);
      const bestLeftCount = new Float64Array(maxNodes);
      const bestLeftSum = new Float64Array(maxNodes);
      const tied: number[][] = Array.from({ length: maxNodes }, () => []);
      const leftCount = new Float64Array(maxNodes);
      const leftSum = new Float64Array(maxNodes);
      const last = new Float64Array(maxNodes);
      for (let f = 0; f < features; f++) {
        leftCount.fill(0);
        leftSum.fill(0);
        const order = sorted[f];
        for (let s = 0; s < n; s++) {
          const i = order[s];
          const t = nodeOf[i];
          if (!isOpen[t]) continue;
          const v = x[i * features + f];
          const nl = leftCount[t];
          if (nl > 0 && v > last[t] + FEATURE_THRESHOLD) {
            // Friedman's proxy: n_l n_r (mean_l − mean_r)², written as (n_r Σ_l − n_l Σ_r)² / (n_l n_r)
            const nr = count[t] - nl;
            const diff = nr * leftSum[t] - nl * (sum[t] - leftSum[t]);
            const improvement = (diff * diff) / (nl * nr);
            if (improvement > best[t] * (1 + 1e-12) + 1e-300) {
              best[t] = improvement;
              bestFeature[t] = f;
              bestThreshold[t] = last[t] / 2 + v / 2;
              bestLeftCount[t] = nl;
              bestLeftSum[t] = leftSum[t];
              tied[t] = [f];
            } else if (
              improvement >= best[t] * (1 - 1e-12) &&
              nl === bestLeftCount[t] &&
              leftSum[t] === bestLeftSum[t] &&
              tied[t].at(-1) !== f
            ) {
              tied[t].push(f); // the same partition by another feature: an identical code
            }
          }
          leftCount[t] = nl + 1;
          leftSum[t] += r[i];
          last[t] = v;
        }
      }
      const next: number[] = [];
      for (const t of splittable) {
        if (bestFeature[t] < 0) continue; // every feature constant in this node
        const [l, rt] = [nodes, nodes + 1];
        nodes += 2;
        tree.feature[t] = bestFeature[t];
        tree.threshold[t] = bestThreshold[t];
        tree.left[t] = l;
        tree.right[t] = rt;
        next.push(l, rt);
      }
      // route the rows and gather the children's sums
      for (let i = 0; i < n; i++) {
        const t = nodeOf[i];
        if (!isOpen[t] || tree.feature[t] < 0) continue;
        const child = x[i * features + tree.feature[t]] <= tree.threshold[t] ? tree.left[t] : tree.right[t];
        nodeOf[i] = child;
        count[child]++;
        sum[child] += r[i];
        sumSquares[child] += r[i] * r[i];
      }
      for (const t of splittable) {
        if (tree.feature[t] < 0) continue;
        const decrease = (node: number) => sumSquares[node] - (sum[node] * sum[node]) / count[node];
        const gain = (decrease(t) - decrease(tree.left[t]) - decrease(tree.right[t])) / n;
        for (const f of tied[t]) importance[f] += gain / tied[t].length;
      }
      open = next;
    }
    return { tree, leafOf: Int32Array.from(nodeOf), importance };
  }
}
