/**
 * Discrete information measures as disentanglement_lib computes them: codes discretised into equal-width
 * bins over each code's own range (numpy.histogram edges, numpy.digitize against all but the last edge),
 * mutual information of the contingency table in nats (sklearn's mutual_info_score).
 */

/** Bin index 0..bins-1 of every value, bins of equal width over [min, max] of `values`. */
export function histogramDiscretize(values: ArrayLike<number>, bins: number): Int32Array {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  // numpy widens a zero range to [v − 0.5, v + 0.5]
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const out = new Int32Array(values.length);
  const edges = Array.from({ length: bins + 1 }, (_, b) => lo + ((hi - lo) * b) / bins);
  for (let i = 0; i < values.length; i++) {
    // digitize against edges[0..bins-1]: the number of those edges <= value, minus one
    let b = Math.floor(((values[i] - lo) / (hi - lo)) * bins);
    b = Math.min(Math.max(b, 0), bins - 1);
    while (b > 0 && values[i] < edges[b]) b--;
    while (b < bins - 1 && values[i] >= edges[b + 1]) b++;
    out[i] = b;
  }
  return out;
}

/** I(a; b) in nats from paired non-negative integer labels (below 10⁶). */
export function mutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const joint = new Map<number, number>();
  const pa = new Map<number, number>();
  const pb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = a[i] * 1_000_003 + b[i];
    joint.set(key, (joint.get(key) ?? 0) + 1);
    pa.set(a[i], (pa.get(a[i]) ?? 0) + 1);
    pb.set(b[i], (pb.get(b[i]) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, count] of joint) {
    const bi = key % 1_000_003;
    const ai = (key - bi) / 1_000_003;
    mi += (count / n) * Math.log((count * n) / (pa.get(ai)! * pb.get(bi)!));
  }
  return Math.max(mi, 0);
}

/** H(a) in nats. */
export function entropy(a: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < a.length; i++) counts.set(a[i], (counts.get(a[i]) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / a.length) * Math.log(c / a.length);
  return h;
}

/** MI between every discretised code dim and every factor: [dim][factor]. */
export function mutualInformationMatrix(codes: Int32Array[], factors: Int32Array[]): number[][] {
  return codes.map((c) => factors.map((f) => mutualInformation(c, f)));
}

/** H(a, b) in nats of paired non-negative integer labels (below 10⁶). */
export function jointEntropy(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const key = a[i] * 1_000_003 + b[i];
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let h = 0;
  for (const c of counts.values()) h -= (c / a.length) * Math.log(c / a.length);
  return h;
}

/** Every column of row-major codes [n, dim] in `bins` equal-width bins over its own range. */
export function discretizedColumns(
  codes: ArrayLike<number>,
  n: number,
  dim: number,
  bins: number,
): Int32Array[] {
  return Array.from({ length: dim }, (_, d) => {
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = codes[i * dim + d];
    return histogramDiscretize(values, bins);
  });
}

/** The largest and second largest of `values` (−∞ when absent) and the index of the largest (first on ties). */
export function topTwo(values: ArrayLike<number>): { first: number; second: number; index: number } {
  let first = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  let index = -1;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > first) {
      second = first;
      first = values[i];
      index = i;
    } else if (values[i] > second) second = values[i];
  }
  return { first, second, index };
}
