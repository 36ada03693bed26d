/**
 * The depth-limited regression trees under gradient-boosting.ts and gradient-boosting-regressor.ts:
 * scikit-learn's exact best-first split search with the Friedman MSE criterion on presorted features.
 * Every node owns one segment [start, end) of each feature's sorted rows (the same rows, in that feature's
 * order), so its candidate thresholds are one sequential scan per feature. The tree grows level by level;
 * a split copies each feature's segment stably into the next level's buffer (two buffers, alternating), and
 * a node that ends as a leaf leaves its rows in `leafRows` at its segment.
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

import { type TreeKernels, treeKernels } from './native-metrics.ts';

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
  /** leaf values, set by the caller */
  value: Float64Array;
}

export class TreeGrower {
  /** per feature f, positions f·n … f·n + n − 1: row indices and their float32 values, sorted */
  private sortedRows: Int32Array;
  private sortedValues: Float32Array;
  /** the two level buffers, laid out like the sorted ones */
  private rowsA: Int32Array;
  private valuesA: Float32Array;
  private rowsB: Int32Array;
  private valuesB: Float32Array;
  private goesLeft: Uint8Array;
  private spareRows: Int32Array;
  private spareValues: Float32Array;
  /** x rounded to float32, row-major */
  private x32: Float32Array;
  private maxNodes: number;
  // the queue of nodes to visit, breadth first
  private qNode: Int32Array;
  private qStart: Int32Array;
  private qEnd: Int32Array;
  private qDepth: Int32Array;
  private qSum: Float64Array;
  private qSquares: Float64Array;
  private bestImprovement: Float64Array;
  private bestLeft: Int32Array;
  private bestThreshold: Float64Array;
  /** after grow: leaf i is node leafNode[i] and holds the rows leafRows[leafStart[i] … leafEnd[i] − 1] */
  leafCount = 0;
  leafNode: Int32Array;
  leafStart: Int32Array;
  leafEnd: Int32Array;
  leafRows: Int32Array;
  /** after grow: the tree's impurity decrease per feature, divided by the root's count */
  importance: Float64Array;

  constructor(
    x: ArrayLike<number>,
    private n: number,
    private features: number,
    private maxDepth: number,
    /** the native loops (native-metrics.ts) where they load; null: the JS ones */
    private kernels: TreeKernels | null | undefined = treeKernels(),
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
    this.rowsA = new Int32Array(features * n);
    this.valuesA = new Float32Array(features * n);
    this.rowsB = new Int32Array(features * n);
    this.valuesB = new Float32Array(features * n);
    this.goesLeft = new Uint8Array(n);
    this.spareRows = new Int32Array(n);
    this.spareValues = new Float32Array(n);
    this.x32 = Float32Array.from(x);
    this.maxNodes = 2 ** (maxDepth + 1) - 1;
    const m = this.maxNodes;
    this.qNode = new Int32Array(m);
    this.qStart = new Int32Array(m);
    this.qEnd = new Int32Array(m);
    this.qDepth = new Int32Array(m);
    this.qSum = new Float64Array(m);
    this.qSquares = new Float64Array(m);
    this.bestImprovement = new Float64Array(features);
    this.bestLeft = new Int32Array(features);
    this.bestThreshold = new Float64Array(features);
    this.leafNode = new Int32Array(m);
    this.leafStart = new Int32Array(m);
    this.leafEnd = new Int32Array(m);
    this.leafRows = new Int32Array(n);
    this.importance = new Float64Array(features);
  }

  /** Grows one tree on the targets r (the negative gradient), one per row. */
  grow(r: Float64Array): Tree {
    const { n, features, maxNodes, maxDepth, bestImprovement, bestLeft, bestThreshold } = this;
    const { qNode, qStart, qEnd, qDepth, qSum, qSquares } = this;
    this.importance.fill(0);
    this.leafCount = 0;
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
    this.enqueue(0, 0, 0, n, 0, sum, sumSquares);
    let queued = 1;
    let nodes = 1;
    for (let q = 0; q < queued; q++) {
      const node = qNode[q];
      const start = qStart[q];
      const end = qEnd[q];
      const depth = qDepth[q];
      const sum = qSum[q];
      const sumSquares = qSquares[q];
      // depth 0 reads the sorted orders, then the levels alternate between the two buffers
      const rows = depth === 0 ? this.sortedRows : depth % 2 === 1 ? this.rowsA : this.rowsB;
      const values = depth === 0 ? this.sortedValues : depth % 2 === 1 ? this.valuesA : this.valuesB;
      const count = end - start;
      const impurity = sumSquares / count - (sum / count) ** 2;
      if (depth >= maxDepth || count < 2 || impurity <= EPSILON) {
        this.addLeaf(node, rows, 0, start, end);
        continue;
      }
      // each feature's best split: the first threshold with the largest Friedman proxy
      let top = Number.NEGATIVE_INFINITY;
      if (this.kernels) {
        this.kernels.treeScan(
          values,
          rows,
          r,
          n,
          features,
          start,
          end,
          sum,
          bestImprovement,
          bestLeft,
          bestThreshold,
        );
      }
      for (let f = 0; f < features; f++) {
        if (this.kernels) {
          if (bestImprovement[f] > top) top = bestImprovement[f];
          continue;
        }
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
        this.addLeaf(node, rows, 0, start, end); // every feature is constant in this node
        continue;
      }
      let tiedCount = 0;
      let split = -1;
      for (let f = 0; f < features; f++) {
        if (bestImprovement[f] >= top * (1 - TIE)) {
          tiedCount++;
          if (split < 0) split = f;
        }
      }
      if (tiedCount > 1) split = this.chooseAmongTied(top, rows, start, end);

      // the children's sums, over the split feature's segment (left rows first)
      const nl = bestLeft[split];
      const base = split * n;
      let leftSum = 0;
      let leftSquares = 0;
      for (let s = base + start; s < base + start + nl; s++) {
        const v = r[rows[s]];
        leftSum += v;
        leftSquares += v * v;
      }
      let rightSum = 0;
      let rightSquares = 0;
      for (let s = base + start + nl; s < base + end; s++) {
        const v = r[rows[s]];
        rightSum += v;
        rightSquares += v * v;
      }
      const gain =
        (sumSquares -
          (sum * sum) / count -
          (leftSquares - (leftSum * leftSum) / nl) -
          (rightSquares - (rightSum * rightSum) / (count - nl))) /
        n;
      for (let f = 0; f < features; f++) {
        if (bestImprovement[f] >= top * (1 - TIE)) this.importance[f] += gain / tiedCount;
      }

      const l = nodes;
      const rt = nodes + 1;
      nodes += 2;
      tree.feature[node] = split;
      tree.threshold[node] = bestThreshold[split];
      tree.left[node] = l;
      tree.right[node] = rt;
      if (depth + 1 >= maxDepth) {
        // children that cannot split need their rows only, which the split feature's order already holds
        this.addLeaf(l, rows, base, start, start + nl);
        this.addLeaf(rt, rows, base, start + nl, end);
        continue;
      }
      const toRows = depth % 2 === 0 ? this.rowsA : this.rowsB;
      const toValues = depth % 2 === 0 ? this.valuesA : this.valuesB;
      this.partition(split, rows, values, toRows, toValues, start, end, nl);
      this.enqueue(queued++, l, start, start + nl, depth + 1, leftSum, leftSquares);
      this.enqueue(queued++, rt, start + nl, end, depth + 1, rightSum, rightSquares);
    }
    return tree;
  }

  private enqueue(
    q: number,
    node: number,
    start: number,
    end: number,
    depth: number,
    sum: number,
    squares: number,
  ) {
    this.qNode[q] = node;
    this.qStart[q] = start;
    this.qEnd[q] = end;
    this.qDepth[q] = depth;
    this.qSum[q] = sum;
    this.qSquares[q] = squares;
  }

  /** Records a leaf whose rows are rows[base + start … base + end − 1]. */
  private addLeaf(node: number, rows: Int32Array, base: number, start: number, end: number): void {
    const i = this.leafCount++;
    this.leafNode[i] = node;
    this.leafStart[i] = start;
    this.leafEnd[i] = end;
    this.leafRows.set(rows.subarray(base + start, base + end), start);
  }

  /**
   * Several features split the node equally well. A split is a partition of the node's rows into two
   * sides; call its canonical side the one holding the node's lowest row index. Take the partition that the
   * most tied features make; between partitions made by as many, the one whose canonical side holds the
   * lowest row index where the two canonical sides differ. Split on its lowest-numbered feature.
   */
  private chooseAmongTied(top: number, rows: Int32Array, start: number, end: number): number {
    const { features, x32, bestImprovement, bestThreshold } = this;
    const tied: number[] = [];
    for (let f = 0; f < features; f++) if (bestImprovement[f] >= top * (1 - TIE)) tied.push(f);
    // the node's rows are a segment of every feature's order here; feature 0's will do
    let first = rows[start];
    for (let s = start; s < end; s++) if (rows[s] < first) first = rows[s];
    const left = (f: number, i: number) => x32[i * features + f] <= bestThreshold[f];
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

  /** Copies every feature's segment [start, end) stably into the next buffer: the split's first nl rows left. */
  private partition(
    split: number,
    rows: Int32Array,
    values: Float32Array,
    toRows: Int32Array,
    toValues: Float32Array,
    start: number,
    end: number,
    nl: number,
  ): void {
    const { n, features, goesLeft } = this;
    if (this.kernels) {
      const { spareRows, spareValues } = this;
      this.kernels.treePartition(
        split,
        rows,
        values,
        toRows,
        toValues,
        goesLeft,
        spareRows,
        spareValues,
        n,
        features,
        start,
        end,
        nl,
      );
      return;
    }
    const splitBase = split * n;
    for (let s = start; s < start + nl; s++) goesLeft[rows[splitBase + s]] = 1;
    for (let s = start + nl; s < end; s++) goesLeft[rows[splitBase + s]] = 0;
    for (let f = 0; f < features; f++) {
      const base = f * n;
      if (f === split) {
        toRows.set(rows.subarray(base + start, base + end), base + start);
        toValues.set(values.subarray(base + start, base + end), base + start);
        continue;
      }
      partitionSegment(
        rows,
        values,
        toRows,
        toValues,
        goesLeft,
        this.spareRows,
        this.spareValues,
        base + start,
        base + end,
      );
    }
  }
}

/**
 * One feature's stable partition: left rows to `to` from `from`, right rows to the spare arrays, then after
 * them. Branch-free: both stores happen, only one cursor moves (a store address computed from the side
 * instead ran at half the speed).
 */
function partitionSegment(
  rows: Int32Array,
  values: Float32Array,
  toRows: Int32Array,
  toValues: Float32Array,
  goesLeft: Uint8Array,
  spareRows: Int32Array,
  spareValues: Float32Array,
  from: number,
  to: number,
): void {
  let left = from;
  let right = 0;
  for (let s = from; s < to; s++) {
    const i = rows[s];
    const v = values[s];
    const g = goesLeft[i];
    toRows[left] = i;
    toValues[left] = v;
    spareRows[right] = i;
    spareValues[right] = v;
    left += g;
    right += 1 - g;
  }
  toRows.set(spareRows.subarray(0, right), left);
  toValues.set(spareValues.subarray(0, right), left);
}

/**
 * The best split of one feature's segment [start, end) at `base`: the first threshold with the largest
 * Friedman proxy n_l n_r (mean_l − mean_r)², written (n_r Σ_l − n_l Σ_r)² / (n_l n_r). A small function of
 * its own so the JIT optimises the loop alone.
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
  let above = Number.NEGATIVE_INFINITY;
  let leftSum = 0;
  let last = values[base + start];
  // the counts as doubles: V8's int arithmetic checks overflow on every use
  let nl = 0.0;
  let nr = end - start + 0.0;
  for (let s = base + start; s < base + end; s++) {
    const v = values[s];
    if (v > last + FEATURE_THRESHOLD && nl > 0) {
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
    leftSum += r[rows[s]];
    last = v;
    nl += 1;
    nr -= 1;
  }
}
