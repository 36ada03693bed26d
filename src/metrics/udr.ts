import { fitLasso } from './lasso.ts';
import { column } from './representation.ts';

/**
 * UDR, the Unsupervised Disentanglement Ranking (Duan, Matthey, Saraiva, Watters, Burgess, Lerchner &
 * Higgins 2020), disentanglement_lib's version (udr_sklearn). Every model encodes the same observations
 * (posterior means); codes are standardised and dims whose mean KL is ≤ `klThreshold` zeroed. For a pair
 * (a, b) the similarity matrix R[i][j] is |Lasso(α = 0.1) coefficient| of b's dim j regressed on a's codes
 * (or |Spearman correlation| of dims i and j); with the low-KL dims of both dropped, the pair scores the
 * relative strength (mean over columns of max² / sum, and over rows, averaged). A model's UDR is the median
 * of its scores with every other model of its group (the same hyperparameters, other seeds).
 */
export interface UdrOptions {
  numPoints: number;
  /** 'lasso' (disentanglement_lib's default) or 'spearman' */
  correlation: 'lasso' | 'spearman';
  alpha: number;
  klThreshold: number;
}
export const UDR_DEFAULTS: UdrOptions = {
  numPoints: 10_000,
  correlation: 'lasso',
  alpha: 0.1,
  klThreshold: 0.01,
};

export interface UdrModel {
  /** posterior means [n, dim] of the shared observations */
  codes: Float64Array;
  dim: number;
  /** mean KL(q(z_d|x) ‖ N(0, 1)) per dim */
  klPerDim: number[];
}

/** Relative strength of a similarity matrix: ½ (mean_j max_i R² / Σ_i R + mean_i max_j R² / Σ_j R). */
export function relativeStrength(r: number[][]): number {
  const cols = r[0]?.length ?? 0;
  const part = (values: number[]) => {
    const sum = values.reduce((a, b) => a + b, 0);
    return sum > 0 ? Math.max(...values) ** 2 / sum : 0; // numpy's nan_to_num(0/0) = 0
  };
  const mean = (v: number[]) => (v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : 0);
  const byColumn = Array.from({ length: cols }, (_, j) => part(r.map((row) => row[j])));
  const byRow = r.map(part);
  return (mean(byColumn) + mean(byRow)) / 2;
}

function standardizedMasked(model: UdrModel, n: number, klThreshold: number): Float64Array {
  const { codes, dim, klPerDim } = model;
  const out = new Float64Array(n * dim);
  for (let d = 0; d < dim; d++) {
    if (!(klPerDim[d] > klThreshold)) continue;
    const x = column(codes, n, dim, d);
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / n) || 1;
    for (let i = 0; i < n; i++) out[i * dim + d] = (x[i] - mean) / std;
  }
  return out;
}

/** Average ranks (ties share the mean rank), 1-based. */
function ranks(values: Float64Array): Float64Array {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
  const out = new Float64Array(values.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && values[order[e + 1]] === values[order[s]]) e++;
    for (let t = s; t <= e; t++) out[order[t]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : Number.NaN;
}

/** R[i][j] between the dims of a (rows) and of b (columns), both standardised and masked. */
export function similarityMatrix(
  a: Float64Array,
  b: Float64Array,
  n: number,
  dimA: number,
  dimB: number,
  correlation: UdrOptions['correlation'],
  alpha: number,
): number[][] {
  if (correlation === 'spearman') {
    const ra = Array.from({ length: dimA }, (_, i) => ranks(column(a, n, dimA, i)));
    const rb = Array.from({ length: dimB }, (_, j) => ranks(column(b, n, dimB, j)));
    // a zeroed (constant) dim has no correlation: scipy gives nan, which the score's nan_to_num makes 0
    return ra.map((x) => rb.map((y) => Math.abs(pearson(x, y)) || 0));
  }
  const r = Array.from({ length: dimA }, () => new Array<number>(dimB).fill(0));
  for (let j = 0; j < dimB; j++) {
    const { weights } = fitLasso(a, column(b, n, dimB, j), dimA, { alpha });
    for (let i = 0; i < dimA; i++) r[i][j] = Math.abs(weights[i]);
  }
  return r;
}

export interface UdrResult {
  /** pairwise[a][b]: the relative strength of the pair (null on the diagonal and across groups) */
  pairwise: (number | null)[][];
  /** per model: the median of its scores with the other models of its group (null alone in its group) */
  scores: (number | null)[];
}

export function udr(
  models: UdrModel[],
  n: number,
  groups: readonly string[],
  options: Partial<UdrOptions> = {},
): UdrResult {
  const o = { ...UDR_DEFAULTS, ...options };
  const standardized = models.map((m) => standardizedMasked(m, n, o.klThreshold));
  const active = models.map((m) =>
    m.klPerDim.map((kl, d) => (kl > o.klThreshold ? d : -1)).filter((d) => d >= 0),
  );
  const pairwise = models.map((_, a) =>
    models.map((__, b) => {
      if (a === b || groups[a] !== groups[b]) return null;
      const r = similarityMatrix(
        standardized[a],
        standardized[b],
        n,
        models[a].dim,
        models[b].dim,
        o.correlation,
        o.alpha,
      );
      return relativeStrength(active[a].map((i) => active[b].map((j) => r[i][j])));
    }),
  );
  const median = (v: number[]) => {
    const s = [...v].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  // disentanglement_lib takes the median of column b: the pairs (a, b) where b's dims are regressed on a's
  const scores = models.map((_, b) => {
    const others = pairwise.map((row) => row[b]).filter((v): v is number => v != null);
    return others.length > 0 ? median(others) : null;
  });
  return { pairwise, scores };
}
