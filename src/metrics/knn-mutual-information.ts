/**
 * Mutual information between a continuous variable and a discrete one by nearest neighbours (Ross 2014,
 * "Mutual information between discrete and continuous data sets"; scikit-learn's mutual_info_classif on one
 * continuous feature, without the 1e-10 jitter it adds to break ties): per point, d = the distance to its
 * k-th nearest neighbour among the points of its class (k = min(neighbours, class size − 1)), m = the points
 * of all classes strictly closer than d, itself included;
 * I = ψ(N) + ⟨ψ(k)⟩ − ⟨ψ(N_class)⟩ − ⟨ψ(m)⟩, clipped at 0. Classes of a single point are left out. In nats.
 */

/** ψ(x) for x > 0: recurrence up to 10, then the asymptotic series. */
export function digamma(x: number): number {
  let result = 0;
  let v = x;
  while (v < 10) {
    result -= 1 / v;
    v += 1;
  }
  const f = 1 / (v * v);
  return (
    result +
    Math.log(v) -
    0.5 / v -
    f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))))
  );
}

/** Index of the first of the ascending `sorted` that is >= value (or > value when `strict`). */
function bound(sorted: Float64Array, value: number, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (strict ? sorted[mid] <= value : sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function knnMutualInformation(
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  neighbours = 3,
): number {
  const n = x.length;
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = byClass.get(labels[i]);
    if (list) list.push(i);
    else byClass.set(labels[i], [i]);
  }
  const kept: number[] = [];
  const radius: number[] = [];
  let sumDigammaK = 0;
  let sumDigammaClass = 0;
  for (const rows of byClass.values()) {
    if (rows.length < 2) continue;
    const k = Math.min(neighbours, rows.length - 1);
    const values = Float64Array.from(rows, (i) => x[i]).sort();
    for (let p = 0; p < values.length; p++) {
      // the k-th nearest of the sorted class values: walk outwards, nearer side first
      let left = p - 1;
      let right = p + 1;
      let distance = 0;
      for (let step = 0; step < k; step++) {
        const dl = left >= 0 ? values[p] - values[left] : Number.POSITIVE_INFINITY;
        const dr = right < values.length ? values[right] - values[p] : Number.POSITIVE_INFINITY;
        if (dl <= dr) {
          distance = dl;
          left--;
        } else {
          distance = dr;
          right++;
        }
      }
      kept.push(values[p]);
      radius.push(distance);
      sumDigammaK += digamma(k);
      sumDigammaClass += digamma(rows.length);
    }
  }
  const count = kept.length;
  if (count === 0) return 0;
  const all = Float64Array.from(kept).sort();
  let sumDigammaM = 0;
  for (let i = 0; i < count; i++) {
    // strictly within the radius, |x_j − x_i| < d, tested as distances (x ± d rounds)
    const x0 = kept[i];
    const d = radius[i];
    let hi = bound(all, x0 + d, false);
    while (hi > 0 && all[hi - 1] - x0 >= d) hi--;
    while (hi < count && all[hi] - x0 < d) hi++;
    let lo = bound(all, x0 - d, true);
    while (lo < count && x0 - all[lo] >= d) lo++;
    while (lo > 0 && x0 - all[lo - 1] < d) lo--;
    const m = hi - lo;
    sumDigammaM += digamma(Math.max(m, 1));
  }
  const mi = digamma(count) + (sumDigammaK - sumDigammaClass - sumDigammaM) / count;
  return Math.max(mi, 0);
}
