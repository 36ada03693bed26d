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
 * Ties. scikit-learn visits the features of every node in a random order and keeps the first best split,
 * so when several features split a node equally well (identical or sign-flipped codes; small nodes of a few
 * points) which one gets the split is random — and disentanglement_lib sets no random_state. We are
 * deterministic instead, and the importances and the training fit do not depend on the order of the
 * features: the node's gain is shared equally by all the tied features (the expectation of scikit-learn's
 * draw), and the tree goes on with the partition of the rows that most of them make (see chooseAmongTied),
 * split on its lowest-numbered feature — that choice alone, among features that part the training rows
 * alike, can move a held-out point. Splits count as tied within 1e-12 relative: closer than that, which one
 * wins is rounding, as the sums are not accumulated in scikit-learn's order.
 */
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

/** Values closer than this count as equal when choosing thresholds (scikit-learn's FEATURE_THRESHOLD). */
const FEATURE_THRESHOLD = 1e-7;
/** A node whose impurity is at most this is a leaf (scikit-learn's EPSILON, the float64 machine epsilon). */
const EPSILON = 2 ** -52;
/** Splits whose improvements differ by less than this, relatively, are tied. */
const TIE = 1e-12;

/** One regression tree; node 0 is the root. */
export interface Tree {
  /** per node: split feature, or −1 for a leaf */
  feature: Int32Array;
  /** go left when the float32 feature value is <= threshold */
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  /** leaf values (the Newton step), before the learning rate */
  value: Float64Array;
}

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
  if (k < 2) return model;

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
  const grower = new TreeGrower(x, n, features, o.maxDepth);
  const importanceSum = new Float64Array(features);
  const scale = k === 2 ? 1 : (k - 1) / k;
  let splitting = 0;

  for (let stage = 0; stage < o.stages; stage++) {
    probabilities(raw, probability, n);
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
      for (const leaf of grower.leaves) {
        let numerator = 0;
        let denominator = 0;
        for (let s = leaf.start; s < leaf.end; s++) {
          const i = grower.rowAt(leaf.base, s);
          numerator += residual[i];
          denominator += hessian[i];
        }
        const value = Math.abs(denominator) < 1e-150 ? 0 : (scale * numerator) / denominator;
        tree.value[leaf.node] = value;
        for (let s = leaf.start; s < leaf.end; s++) r[grower.rowAt(leaf.base, s)] += o.learningRate * value;
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
  return model;
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
  const out = new Float64Array(n * outputs);
  for (let i = 0; i < n; i++) out.set(init, i * outputs);
  // tree by tree over all rows, adding the stages in the order training did
  for (const stage of trees) {
    for (let j = 0; j < outputs; j++) {
      const { feature, threshold, left, right, value } = stage[j];
      for (let i = 0; i < n; i++) {
        let node = 0;
        while (feature[node] >= 0) {
          node = x32[i * features + feature[node]] <= threshold[node] ? left[node] : right[node];
        }
        out[i * outputs + j] += learningRate * value[node];
      }
    }
  }
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
  const scores = decisionFunction(model, x, n);
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

/**
 * The best split of one feature's segment [start, end) at `base`: the first threshold with the largest
 * Friedman proxy n_l n_r (mean_l − mean_r)², written (n_r Σ_l − n_l Σ_r)² / (n_l n_r). A small function of
 * its own so the JIT optimises the loop alone (inlined in grow it ran ~3x slower).
 */
function bestSplitOfFeature(
  values: Float32Array,
  rows: Int32Array,
  r: Float64Array,
  base: number,
  start: number,
  end: number,
  sum: number,
  f: number,
  bestImprovement: Float64Array,
  bestLeft: Int32Array,
  bestThreshold: Float64Array,
): void {
  const count = end - start;
  let above = Number.NEGATIVE_INFINITY;
  let leftSum = 0;
  let last = values[base + start];
  for (let s = start; s < end; s++) {
    const v = values[base + s];
    const nl = s - start;
    if (nl > 0 && v > last + FEATURE_THRESHOLD) {
      const nr = count - nl;
      const diff = nr * leftSum - nl * (sum - leftSum);
      // improvement > above, without a division on the common path
      if (diff * diff > above * (nl * nr)) {
        const improvement = (diff * diff) / (nl * nr);
        above = improvement * (1 + TIE) + 1e-300;
        bestImprovement[f] = improvement;
        bestLeft[f] = nl;
        // the midpoint, unless it rounds onto the upper value (scikit-learn's guard)
        const threshold = last / 2 + v / 2;
        bestThreshold[f] = threshold === v ? last : threshold;
      }
    }
    leftSum += r[rows[base + s]];
    last = v;
  }
}

function probabilities(raw: Float64Array[], out: Float64Array[], n: number): void {
  if (raw.length === 1) {
    for (let i = 0; i < n; i++) out[0][i] = 1 / (1 + Math.exp(-raw[0][i]));
    return;
  }
  for (let i = 0; i < n; i++) {
    let top = Number.NEGATIVE_INFINITY;
    for (const r of raw) if (r[i] > top) top = r[i];
    let z = 0;
    for (let j = 0; j < raw.length; j++) {
      const e = Math.exp(raw[j][i] - top);
      out[j][i] = e;
      z += e;
    }
    for (let j = 0; j < raw.length; j++) out[j][i] /= z;
  }
}

/**
 * Grows depth-limited regression trees on presorted features. Every node owns one segment
 * [start, end) of each feature's sorted rows (the same rows, in that feature's order), so a node's
 * candidate thresholds are one sequential scan per feature; a split partitions the segment of every
 * feature stably into its two children.
 */
export class TreeGrower {
  /** per feature f, positions f·n … f·n + n − 1: row indices and their float32 values, sorted per node */
  private rows: Int32Array;
  private values: Float32Array;
  private sortedRows: Int32Array;
  private sortedValues: Float32Array;
  private spareRows: Int32Array;
  private spareValues: Float32Array;
  private goesLeft: Uint8Array;
  /** x rounded to float32, row-major */
  private x32: Float32Array;
  private maxNodes: number;
  /** after grow: the leaves, as segments of one feature's order, and the tree's unnormalised importances */
  leaves: { node: number; base: number; start: number; end: number }[] = [];
  importance: Float64Array;

  constructor(
    x: ArrayLike<number>,
    private n: number,
    private features: number,
    private maxDepth: number,
  ) {
    this.sortedRows = new Int32Array(features * n);
    this.sortedValues = new Float32Array(features * n);
    const order = new Int32Array(n);
    const column = new Float32Array(n);
    for (let f = 0; f < features; f++) {
      for (let i = 0; i < n; i++) {
        order[i] = i;
        column[i] = x[i * features + f];
      }
      order.sort((a, b) => column[a] - column[b] || a - b);
      for (let s = 0; s < n; s++) {
        this.sortedRows[f * n + s] = order[s];
        this.sortedValues[f * n + s] = column[order[s]];
      }
    }
    this.rows = new Int32Array(features * n);
    this.values = new Float32Array(features * n);
    this.spareRows = new Int32Array(n);
    this.spareValues = new Float32Array(n);
    this.goesLeft = new Uint8Array(n);
    this.x32 = Float32Array.from(x);
    this.maxNodes = 2 ** (maxDepth + 1) - 1;
    this.importance = new Float64Array(features);
  }

  /** The row at position s of a leaf segment of the order at `base`. */
  rowAt(base: number, s: number): number {
    return this.rows[base + s];
  }

  grow(r: Float64Array): Tree {
    const { n, features, rows, values, maxNodes } = this;
    rows.set(this.sortedRows);
    values.set(this.sortedValues);
    this.importance.fill(0);
    this.leaves = [];
    const tree: Tree = {
      feature: new Int32Array(maxNodes).fill(-1),
      threshold: new Float64Array(maxNodes),
      left: new Int32Array(maxNodes).fill(-1),
      right: new Int32Array(maxNodes).fill(-1),
      value: new Float64Array(maxNodes),
    };
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < n; i++) {
      sum += r[i];
      sumSquares += r[i] * r[i];
    }
    // base: the feature order (f·n) in which the node's rows are known to be a segment
    const queue = [{ node: 0, base: 0, start: 0, end: n, depth: 0, sum, sumSquares }];
    let nodes = 1;
    const bestImprovement = new Float64Array(features);
    const bestLeft = new Int32Array(features);
    const bestThreshold = new Float64Array(features);
    for (let q = 0; q < queue.length; q++) {
      const { node, base: known, start, end, depth, sum, sumSquares } = queue[q];
      const count = end - start;
      const impurity = sumSquares / count - (sum / count) ** 2;
      if (depth >= this.maxDepth || count < 2 || impurity <= EPSILON) {
        this.leaves.push({ node, base: known, start, end });
        continue;
      }
      // each feature's best split: the first threshold with the largest Friedman proxy
      // n_l n_r (mean_l − mean_r)², written (n_r Σ_l − n_l Σ_r)² / (n_l n_r)
      let top = Number.NEGATIVE_INFINITY;
      for (let f = 0; f < features; f++) {
        bestImprovement[f] = Number.NEGATIVE_INFINITY;
        const base = f * n;
        if (values[base + end - 1] <= values[base + start] + FEATURE_THRESHOLD) continue; // constant here
        bestSplitOfFeature(
          values,
          rows,
          r,
          base,
          start,
          end,
          sum,
          f,
          bestImprovement,
          bestLeft,
          bestThreshold,
        );
        if (bestImprovement[f] > top) top = bestImprovement[f];
      }
      if (top === Number.NEGATIVE_INFINITY) {
        this.leaves.push({ node, base: known, start, end }); // every feature is constant in this node
        continue;
      }
      const tied: number[] = [];
      for (let f = 0; f < features; f++) if (bestImprovement[f] >= top * (1 - TIE)) tied.push(f);
      const split = tied.length === 1 ? tied[0] : this.chooseAmongTied(tied, start, end, bestThreshold);

      // the children: the split feature's segment is already in order, left rows first
      const nl = bestLeft[split];
      const base = split * n;
      const child = (from: number, to: number) => {
        let s1 = 0;
        let s2 = 0;
        for (let s = from; s < to; s++) {
          const v = r[rows[base + s]];
          s1 += v;
          s2 += v * v;
        }
        return { sum: s1, sumSquares: s2 };
      };
      const left = child(start, start + nl);
      const right = child(start + nl, end);
      const decrease = (c: { sum: number; sumSquares: number }, m: number) =>
        c.sumSquares - (c.sum * c.sum) / m;
      const gain =
        (decrease({ sum, sumSquares }, count) - decrease(left, nl) - decrease(right, count - nl)) / n;
      for (const f of tied) this.importance[f] += gain / tied.length;

      const [l, rt] = [nodes, nodes + 1];
      nodes += 2;
      tree.feature[node] = split;
      tree.threshold[node] = bestThreshold[split];
      tree.left[node] = l;
      tree.right[node] = rt;
      // children that cannot split need their rows only, which the split feature's order already holds
      const childBase = depth + 1 < this.maxDepth ? 0 : base;
      if (childBase === 0) this.partition(split, start, end, nl);
      queue.push({ node: l, base: childBase, start, end: start + nl, depth: depth + 1, ...left });
      queue.push({ node: rt, base: childBase, start: start + nl, end, depth: depth + 1, ...right });
    }
    return tree;
  }

  /**
   * Several features split the node equally well. A split is a partition of the node's rows into two
   * sides; call its canonical side the one holding the node's lowest row index. Take the partition that the
   * most tied features make; between partitions made by as many, the one whose canonical side holds the
   * lowest row index where the two canonical sides differ. Split on its lowest-numbered feature.
   */
  private chooseAmongTied(tied: number[], start: number, end: number, threshold: Float64Array): number {
    const { features, rows, x32 } = this;
    // the node's rows are a segment of every feature's order here; feature 0's will do
    let first = rows[start];
    for (let s = start; s < end; s++) if (rows[s] < first) first = rows[s];
    const left = (f: number, i: number) => x32[i * features + f] <= threshold[f];
    const canonical = (f: number, i: number) => left(f, i) === left(f, first);
    /** the lowest row where the canonical sides of f and g differ, or −1 when f and g part the rows alike */
    const firstDifference = (f: number, g: number) => {
      let lowest = -1;
      for (let s = start; s < end; s++) {
        const i = rows[s];
        if (canonical(f, i) !== canonical(g, i) && (lowest < 0 || i < lowest)) lowest = i;
      }
      return lowest;
    };
    const groups: number[][] = [];
    for (const f of tied) {
      const group = groups.find((g) => firstDifference(g[0], f) < 0);
      if (group) group.push(f);
      else groups.push([f]);
    }
    let chosen = groups[0];
    for (const group of groups.slice(1)) {
      if (group.length < chosen.length) continue;
      if (group.length > chosen.length || canonical(group[0], firstDifference(group[0], chosen[0]))) {
        chosen = group;
      }
    }
    return chosen[0];
  }

  /** Stable partition of every feature's segment [start, end): the split feature's first nl rows go left. */
  private partition(split: number, start: number, end: number, nl: number): void {
    const { n, features, rows, values, goesLeft, spareRows, spareValues } = this;
    for (let s = start; s < end; s++) goesLeft[rows[split * n + s]] = s < start + nl ? 1 : 0;
    for (let f = 0; f < features; f++) {
      if (f === split) continue;
      const base = f * n;
      let write = base + start;
      let spare = 0;
      // branch-free: both stores happen, only one cursor moves (write <= s, so nothing unread is lost)
      for (let s = base + start; s < base + end; s++) {
        const i = rows[s];
        const v = values[s];
        const left = goesLeft[i];
        rows[write] = i;
        values[write] = v;
        spareRows[spare] = i;
        spareValues[spare] = v;
        write += left;
        spare += 1 - left;
      }
      rows.set(spareRows.subarray(0, spare), write);
      values.set(spareValues.subarray(0, spare), write);
    }
  }
}
