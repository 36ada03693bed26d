/**
 * Multinomial logistic regression with an L2 penalty, scikit-learn's default (C = 1, lbfgs,
 * multinomial): minimise C·Σ_i −log softmax(W x_i + b)[y_i] + ½‖W‖², the intercept unpenalised.
 * Fitted by L-BFGS (memory 10) with a backtracking Armijo line search, in float64. The objective runs in C
 * where the addon loads (native-metrics.ts), else in the JS loops below; the two agree to rounding.
 */
import { type LogisticKernels, logisticKernels } from './native-metrics.ts';

export interface LogisticModel {
  classes: number[];
  features: number;
  /** [classes][features + 1], the last column the intercept */
  weights: Float64Array[];
  /** L-BFGS iterations run (scikit-learn's n_iter_) and objective evaluations */
  iterations: number;
  evaluations: number;
}

export interface LogisticOptions {
  c: number;
  maxIterations: number;
  tolerance: number;
  /** false: no penalty (scikit-learn's penalty=None), the mean weighted loss is minimised */
  penalty: boolean;
  /** 'balanced': class c weighs n / (K·n_c), scikit-learn's class_weight='balanced' */
  classWeight: 'none' | 'balanced';
}
// scikit-learn's lbfgs settings: at most 100 iterations, stop when max |gradient| <= tol (1e-4) or when
// (f_k − f_k+1) / max(|f_k|, |f_k+1|, 1) <= ftol. With the penalty, the summed loss and scipy's L-BFGS-B
// default ftol = factr · eps = 1e7 · 2^−52, as scikit-learn 1.2.1 (the reference here) and disentanglement_lib's
// versions); without it, the mean loss and ftol = 64 eps, as later scikit-learn does (it converges further)
const DEFAULTS: LogisticOptions = {
  c: 1,
  maxIterations: 100,
  tolerance: 1e-4,
  penalty: true,
  classWeight: 'none',
};
const [PENALISED_FTOL, UNPENALISED_FTOL] = [1e7 * Number.EPSILON, 64 * Number.EPSILON];

/** Rows of x are row-major [n, features]. */
export function fitLogistic(
  x: Float64Array,
  labels: ArrayLike<number>,
  features: number,
  options: Partial<LogisticOptions> = {},
  /** the native objective where it loads; null: the JS one */
  kernels: LogisticKernels | null | undefined = logisticKernels(),
): LogisticModel {
  const { maxIterations, tolerance, penalty, classWeight } = { ...DEFAULTS, ...options };
  const n = labels.length;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const k = classes.length;
  const y = Int32Array.from(labels, (l) => classes.indexOf(l));
  const classCounts = new Float64Array(k);
  for (let i = 0; i < n; i++) classCounts[y[i]]++;
  const weightOfClass = Float64Array.from(classCounts, (m) => (classWeight === 'balanced' ? n / (k * m) : 1));
  const rowWeight = Float64Array.from(y, (label) => weightOfClass[label]);
  // without a penalty the mean weighted loss is minimised (scikit-learn's scaling), so tolerances compare
  const c = penalty ? (options.c ?? DEFAULTS.c) : 1 / rowWeight.reduce((a, b) => a + b, 0);
  const ridge = penalty ? 1 : 0;
  const p = features + 1;
  const size = k * p;
  if (k === 1) return { classes, features, weights: [new Float64Array(p)], iterations: 0, evaluations: 0 };

  // class-major layouts: every inner loop streams over the n points
  const flat = new Float64Array(features * n);
  for (let i = 0; i < n; i++) for (let f = 0; f < features; f++) flat[f * n + i] = x[i * features + f];
  const columns = Array.from({ length: features }, (_, f) => flat.subarray(f * n, (f + 1) * n));
  const scores = Array.from({ length: k }, () => new Float64Array(n));
  const top = new Float64Array(n);
  const total = new Float64Array(n);
  /** per point: c·w_i / Σ_j exp(score_j − top) */
  const share = new Float64Array(n);
  let evaluations = 0;
  const objective = (w: Float64Array, grad: Float64Array): number => {
    evaluations++;
    if (kernels) return kernels.logisticObjective(flat, y, rowWeight, n, features, k, c, ridge, w, grad);
    top.fill(Number.NEGATIVE_INFINITY);
    for (let j = 0; j < k; j++) {
      const s = scores[j];
      const b = w[j * p + features];
      // four features per pass over s
      let f = 0;
      if (features < 4) s.fill(b);
      else {
        const [wa, wb, wc, wd] = [w[j * p], w[j * p + 1], w[j * p + 2], w[j * p + 3]];
        const [xa, xb, xc, xd] = [columns[0], columns[1], columns[2], columns[3]];
        for (let i = 0; i < n; i++) s[i] = b + (wa * xa[i] + wb * xb[i] + wc * xc[i] + wd * xd[i]);
        f = 4;
      }
      for (; f + 3 < features; f += 4) {
        const [wa, wb, wc, wd] = [w[j * p + f], w[j * p + f + 1], w[j * p + f + 2], w[j * p + f + 3]];
        const [xa, xb, xc, xd] = [columns[f], columns[f + 1], columns[f + 2], columns[f + 3]];
        for (let i = 0; i < n; i++) s[i] += wa * xa[i] + wb * xb[i] + wc * xc[i] + wd * xd[i];
      }
      for (; f < features; f++) {
        const wf = w[j * p + f];
        const column = columns[f];
        for (let i = 0; i < n; i++) s[i] += wf * column[i];
      }
      for (let i = 0; i < n; i++) if (s[i] > top[i]) top[i] = s[i];
    }
    let loss = 0;
    for (let i = 0; i < n; i++) loss -= rowWeight[i] * (scores[y[i]][i] - top[i]);
    total.fill(0);
    for (let j = 0; j < k; j++) {
      const s = scores[j];
      for (let i = 0; i < n; i++) {
        s[i] = Math.exp(s[i] - top[i]);
        total[i] += s[i];
      }
    }
    for (let i = 0; i < n; i++) {
      loss += rowWeight[i] * Math.log(total[i]);
      share[i] = (c * rowWeight[i]) / total[i];
    }
    // per class: its score's gradient c·w_i·(softmax − onehot) into s on the first pass over it, then
    // the weights' gradient four features per pass
    for (let j = 0; j < k; j++) {
      const s = scores[j];
      let intercept = 0;
      for (let i = 0; i < n; i++) {
        const v = s[i] * share[i] - (y[i] === j ? c * rowWeight[i] : 0);
        s[i] = v;
        intercept += v;
      }
      grad[j * p + features] = intercept;
      let f = 0;
      for (; f + 3 < features; f += 4) {
        const [xa, xb, xc, xd] = [columns[f], columns[f + 1], columns[f + 2], columns[f + 3]];
        let [ga, gb, gc, gd] = [0, 0, 0, 0];
        for (let i = 0; i < n; i++) {
          const v = s[i];
          ga += v * xa[i];
          gb += v * xb[i];
          gc += v * xc[i];
          gd += v * xd[i];
        }
        grad[j * p + f] = ga + ridge * w[j * p + f];
        grad[j * p + f + 1] = gb + ridge * w[j * p + f + 1];
        grad[j * p + f + 2] = gc + ridge * w[j * p + f + 2];
        grad[j * p + f + 3] = gd + ridge * w[j * p + f + 3];
      }
      for (; f < features; f++) grad[j * p + f] = dot(s, columns[f]) + ridge * w[j * p + f];
    }
    loss *= c;
    for (let j = 0; j < k; j++) for (let f = 0; f < features; f++) loss += 0.5 * ridge * w[j * p + f] ** 2;
    return loss;
  };

  const w = new Float64Array(size);
  const grad = new Float64Array(size);
  let loss = objective(w, grad);
  const history: Array<{ s: Float64Array; y: Float64Array; rho: number }> = [];
  let iterations = 0;
  for (; iterations < maxIterations; ) {
    iterations++;
    // two-loop recursion: direction = −H·grad
    const q = grad.slice();
    const alphas: number[] = [];
    for (let h = history.length - 1; h >= 0; h--) {
      const a = history[h].rho * dot(history[h].s, q);
      alphas.push(a);
      for (let i = 0; i < size; i++) q[i] -= a * history[h].y[i];
    }
    if (history.length > 0) {
      const last = history[history.length - 1];
      const gamma = dot(last.s, last.y) / dot(last.y, last.y);
      for (let i = 0; i < size; i++) q[i] *= gamma;
    }
    for (let h = 0; h < history.length; h++) {
      const b = history[h].rho * dot(history[h].y, q);
      const a = alphas[history.length - 1 - h];
      for (let i = 0; i < size; i++) q[i] += (a - b) * history[h].s[i];
    }
    const direction = q.map((v) => -v);
    let slope = dot(direction, grad);
    if (slope >= 0) {
      history.length = 0;
      for (let i = 0; i < size; i++) direction[i] = -grad[i];
      slope = dot(direction, grad);
    }
    let step = history.length === 0 ? 1 / Math.max(1, Math.sqrt(dot(grad, grad))) : 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let nextLoss = loss;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < size; i++) next[i] = w[i] + step * direction[i];
      nextLoss = objective(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    const s = next.map((v, i) => v - w[i]);
    const yv = nextGrad.map((v, i) => v - grad[i]);
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      history.push({ s, y: yv, rho: 1 / sy });
      if (history.length > 10) history.shift();
    }
    const improvement = loss - nextLoss;
    w.set(next);
    grad.set(nextGrad);
    loss = nextLoss;
    const largestGradient = grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const scale = Math.max(1, Math.abs(loss), Math.abs(loss + improvement));
    if (improvement <= (penalty ? PENALISED_FTOL : UNPENALISED_FTOL) * scale || largestGradient <= tolerance)
      break;
  }
  const weights = Array.from({ length: k }, (_, j) => w.slice(j * p, (j + 1) * p));
  return { classes, features, weights, iterations, evaluations };
}

/** Class probabilities, row-major [n, classes]. */
export function predictProbabilities(model: LogisticModel, x: Float64Array, n: number): Float64Array {
  const { features, weights } = model;
  const k = weights.length;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let top = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < k; j++) {
      let s = weights[j][features];
      for (let f = 0; f < features; f++) s += weights[j][f] * x[i * features + f];
      out[i * k + j] = s;
      top = Math.max(top, s);
    }
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(out[i * k + j] - top);
    for (let j = 0; j < k; j++) out[i * k + j] = Math.exp(out[i * k + j] - top) / z;
  }
  return out;
}

export function accuracy(model: LogisticModel, x: Float64Array, labels: ArrayLike<number>): number {
  const n = labels.length;
  const k = model.classes.length;
  const probs = predictProbabilities(model, x, n);
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    if (model.classes[best] === labels[i]) correct++;
  }
  return correct / n;
}

/** Σ a_i b_i with four accumulators: a single running sum is bound by the latency of each addition. */
function dot(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return s0 + s1 + s2 + s3;
}
