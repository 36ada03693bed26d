/**
 * scikit-learn's `LinearSVC` on a single feature (what SAP fits per code and factor): squared hinge loss,
 * L2 penalty on the weight and the intercept alike (liblinear appends a constant feature 1), one-vs-rest for
 * more than two classes. For class c against the rest liblinear weighs the positives by class_weight[c] and
 * the negatives by 1; with two classes one problem is solved with both weights. We solve each 2-parameter
 * primal exactly by Newton's method instead of liblinear's dual coordinate descent (same optimum).
 */
export interface LinearSvm {
  classes: number[];
  /** per one-vs-rest problem: [weight, intercept] (one problem when there are two classes) */
  planes: [number, number][];
}

export interface LinearSvmOptions {
  c: number;
  balanced: boolean;
}

/** min ½(w² + b²) + Σ_i cost_i · max(0, 1 − y_i (w x_i + b))², y_i ∈ {−1, +1}. */
export function fitSquaredHinge(x: ArrayLike<number>, y: Int8Array, cost: Float64Array): [number, number] {
  const n = x.length;
  let w = 0;
  let b = 0;
  const objective = (w: number, b: number) => {
    let f = 0.5 * (w * w + b * b);
    for (let i = 0; i < n; i++) {
      const margin = 1 - y[i] * (w * x[i] + b);
      if (margin > 0) f += cost[i] * margin * margin;
    }
    return f;
  };
  let f = objective(w, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    // gradient and generalised Hessian over the points inside the margin
    let gw = w;
    let gb = b;
    let hww = 1;
    let hwb = 0;
    let hbb = 1;
    for (let i = 0; i < n; i++) {
      const margin = 1 - y[i] * (w * x[i] + b);
      if (margin <= 0) continue;
      const s = 2 * cost[i];
      gw -= s * margin * y[i] * x[i];
      gb -= s * margin * y[i];
      hww += s * x[i] * x[i];
      hwb += s * x[i];
      hbb += s;
    }
    const det = hww * hbb - hwb * hwb;
    const dw = -(hbb * gw - hwb * gb) / det;
    const db = -(hww * gb - hwb * gw) / det;
    const decrease = -(gw * dw + gb * db);
    if (decrease < 1e-14 * Math.max(1, f)) break;
    let step = 1;
    let next = objective(w + step * dw, b + step * db);
    while (next > f - 0.25 * step * decrease && step > 1e-10) {
      step /= 2;
      next = objective(w + step * dw, b + step * db);
    }
    w += step * dw;
    b += step * db;
    if (f - next < 1e-13 * Math.max(1, f)) {
      f = next;
      break;
    }
    f = next;
  }
  return [w, b];
}

export function fitLinearSvm(
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: LinearSvmOptions = { c: 1, balanced: false },
): LinearSvm {
  const n = labels.length;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const counts = classes.map((c) => Array.prototype.filter.call(labels, (l: number) => l === c).length);
  // 'balanced': n / (classes · count of the class)
  const weight = counts.map((count) => (options.balanced ? n / (classes.length * count) : 1));
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const label = Int32Array.from(labels, (l) => classIndex.get(l)!);
  if (classes.length === 1) return { classes, planes: [] };

  const problem = (positive: number, negativeWeight: (i: number) => number): [number, number] => {
    const y = new Int8Array(n);
    const cost = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = label[i] === positive ? 1 : -1;
      cost[i] = options.c * (label[i] === positive ? weight[positive] : negativeWeight(i));
    }
    return fitSquaredHinge(x, y, cost);
  };
  if (classes.length === 2) return { classes, planes: [problem(1, () => weight[0])] };
  return { classes, planes: classes.map((_, c) => problem(c, () => 1)) };
}

export function predictLinearSvm(svm: LinearSvm, x: ArrayLike<number>): Int32Array {
  const out = new Int32Array(x.length);
  const { classes, planes } = svm;
  for (let i = 0; i < x.length; i++) {
    if (planes.length === 0) out[i] = classes[0];
    else if (planes.length === 1) out[i] = planes[0][0] * x[i] + planes[0][1] > 0 ? classes[1] : classes[0];
    else {
      let best = 0;
      for (let c = 1; c < planes.length; c++) {
        if (planes[c][0] * x[i] + planes[c][1] > planes[best][0] * x[i] + planes[best][1]) best = c;
      }
      out[i] = classes[best];
    }
  }
  return out;
}
