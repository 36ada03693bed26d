import type { Rng } from '../engine/rng.ts';

/**
 * Chen et al. 2018's own MIG estimator (their `mutual_info_metric_shapes`), the variant `mig.estimator=1`:
 * MI from the encoder's Gaussian posteriors instead of binned means. Over N points with posteriors
 * q(z|x_n) = N(μ_n, σ²_n), one draw z_s ~ q(z|x_s) per point of a subset S (at most `samples` points):
 * H(z_j) ≈ −⟨log (1/N) Σ_n q(z_sj | x_n)⟩_s, and H(z_j | v_k) = Σ_v p(v) H(z_j | v_k = v), each term the same
 * estimate over the points with that value only. I(z_j; v_k) = H(z_j) − H(z_j | v_k), in nats.
 */

const LOG_2PI = Math.log(2 * Math.PI);

/** −mean over samples of log (1/|rows|) Σ_{n ∈ rows} N(sample; μ_n, σ²_n), one code dim. */
function entropyEstimate(
  samples: ArrayLike<number>,
  mean: ArrayLike<number>,
  logVar: ArrayLike<number>,
  rows: Int32Array,
): number {
  const m = rows.length;
  const mu = Float64Array.from(rows, (n) => mean[n]);
  const precision = Float64Array.from(rows, (n) => Math.exp(-logVar[n]));
  const offset = Float64Array.from(rows, (n) => -0.5 * (LOG_2PI + logVar[n]));
  const logDensity = new Float64Array(m);
  let h = 0;
  for (let s = 0; s < samples.length; s++) {
    const z = samples[s];
    let top = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < m; i++) {
      const d = z - mu[i];
      const v = offset[i] - 0.5 * d * d * precision[i];
      logDensity[i] = v;
      if (v > top) top = v;
    }
    let sum = 0;
    for (let i = 0; i < m; i++) sum += Math.exp(logDensity[i] - top);
    h -= top + Math.log(sum) - Math.log(m);
  }
  return h / samples.length;
}

/**
 * MI matrix [dim][factor] by the sampling estimator. `draws` [n, dim] are z ~ q(z|x_n) (one per point);
 * the first `samples` of `order` (a permutation of the points) are the entropy samples, within each factor
 * value too, so a caller (or a test) can fix every random choice.
 */
export function samplingMutualInformation(
  mean: ArrayLike<number>,
  logVar: ArrayLike<number>,
  draws: ArrayLike<number>,
  factors: Int32Array,
  n: number,
  dim: number,
  numFactors: number,
  order: Int32Array,
  samples: number,
): number[][] {
  const column = (values: ArrayLike<number>, d: number) =>
    Float64Array.from({ length: n }, (_, i) => values[i * dim + d]);
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const sampleOf = (rows: Int32Array, z: Float64Array) => {
    const inRows = new Uint8Array(n);
    for (const r of rows) inRows[r] = 1;
    const picked: number[] = [];
    for (let i = 0; i < n && picked.length < samples; i++) if (inRows[order[i]]) picked.push(z[order[i]]);
    return picked;
  };
  const groups = Array.from({ length: numFactors }, (_, k) => {
    const byValue = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const v = factors[i * numFactors + k];
      const list = byValue.get(v);
      if (list) list.push(i);
      else byValue.set(v, [i]);
    }
    return [...byValue.values()].map((rows) => Int32Array.from(rows));
  });
  return Array.from({ length: dim }, (_, d) => {
    const mu = column(mean, d);
    const lv = column(logVar, d);
    const z = column(draws, d);
    const marginal = entropyEstimate(sampleOf(all, z), mu, lv, all);
    return groups.map((values) => {
      let conditional = 0;
      for (const rows of values)
        conditional += (rows.length / n) * entropyEstimate(sampleOf(rows, z), mu, lv, rows);
      return marginal - conditional;
    });
  });
}

/** The estimator on a batch's posteriors, drawing z ~ q(z|x) and the sample order from `rng`. */
export function samplingMutualInformationOf(
  posterior: { mean: ArrayLike<number>; logVar: ArrayLike<number> },
  factors: Int32Array,
  n: number,
  dim: number,
  numFactors: number,
  samples: number,
  rng: Rng,
): number[][] {
  const draws = Float64Array.from(
    { length: n * dim },
    (_, i) => posterior.mean[i] + Math.exp(posterior.logVar[i] / 2) * rng.normal(),
  );
  const order = Int32Array.from(rng.shuffle(Array.from({ length: n }, (_, i) => i)));
  return samplingMutualInformation(
    posterior.mean,
    posterior.logVar,
    draws,
    factors,
    n,
    dim,
    numFactors,
    order,
    samples,
  );
}
