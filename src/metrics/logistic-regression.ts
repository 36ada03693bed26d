/**
 * Multinomial logistic regression with an L2 penalty, scikit-learn's default (C = 1, lbfgs,
 * multinomial): minimise C·Σ_i −log softmax(W x_i + b)[y_i] + ½‖W‖², the intercept unpenalised.
 * Fitted by L-BFGS (memory 10) with a backtracking Armijo line search, in float64.
 */
export interface LogisticModel {
  classes: number[];
  features: number;
  /** [classes][features + 1], the last column the intercept */
  weights: Float64Array[];
}

export interface LogisticOptions {
  c: number;
  maxIterations: number;
  tolerance: number;
}
const DEFAULTS: LogisticOptions = { c: 1, maxIterations: 200, tolerance: 1e-6 };

/** Rows of x are row-major [n, features]. */
export function fitLogistic(
  x: Float64Array,
  labels: ArrayLike<number>,
  features: number,
  options: Partial<LogisticOptions> = {},
): LogisticModel {
  const { c, maxIterations, tolerance } = { ...DEFAULTS, ...options };
  const n = labels.length;
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  const k = classes.length;
  const y = Int32Array.from(labels, (l) => classes.indexOf(l));
  const p = features + 1;
  const size = k * p;
  if (k === 1) return { classes, features, weights: [new Float64Array(p)] };

  const probs = new Float64Array(k);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        let s = w[j * p + features];
        for (let f = 0; f < features; f++) s += w[j * p + f] * x[i * features + f];
        probs[j] = s;
        top = Math.max(top, s);
      }
      let z = 0;
      for (let j = 0; j < k; j++) z += Math.exp(probs[j] - top);
      const logZ = top + Math.log(z);
      loss += logZ - probs[y[i]];
      for (let j = 0; j < k; j++) {
        const g = Math.exp(probs[j] - logZ) - (j === y[i] ? 1 : 0);
        for (let f = 0; f < features; f++) grad[j * p + f] += c * g * x[i * features + f];
        grad[j * p + features] += c * g;
      }
    }
    loss *= c;
    for (let j = 0; j < k; j++) {
      for (let f = 0; f < features; f++) {
        loss += 0.5 * w[j * p + f] ** 2;
        grad[j * p + f] += w[j * p + f];
      }
    }
    return loss;
  };

  const w = new Float64Array(size);
  const grad = new Float64Array(size);
  let loss = objective(w, grad);
  const history: Array<{ s: Float64Array; y: Float64Array; rho: number }> = [];
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((acc, v, i) => acc + v * b[i], 0);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
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
    if (Math.abs(improvement) <= tolerance * Math.max(1, Math.abs(loss)) || Math.sqrt(dot(grad, grad)) < 1e-8)
      break;
  }
  return { classes, features, weights: Array.from({ length: k }, (_, j) => w.slice(j * p, (j + 1) * p)) };
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
