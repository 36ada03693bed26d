import type { SpeechCorpus, Utterance } from '../data/speech/corpus.ts';
import { Rng } from '../engine/rng.ts';
import { cholesky, inverseFromCholesky, solveCholesky } from '../math/cholesky.ts';

/**
 * The i-vector baseline (Dehak et al. 2011): a diagonal-covariance GMM universal background model fitted
 * by EM on training frames; per utterance, its Baum–Welch statistics; a total-variability matrix T fitted
 * by EM so that an utterance's GMM mean supervector is m + T w with w ~ N(0, I); the i-vector is the
 * posterior mean of w. Plain float64 on typed arrays, no tfjs.
 */
export interface IvectorOptions {
  /** UBM components */
  components: number;
  /** frames drawn (seeded, without replacement) from the training frames to fit the UBM */
  ubmFrames: number;
  kmeansIterations: number;
  /** k-means (the EM start) runs on at most this many of those frames, evenly strided */
  kmeansFrames: number;
  ubmIterations: number;
  /** variances are floored at this fraction of the global per-dimension variance */
  varianceFloor: number;
  /** EM iterations of the total-variability matrix */
  tvIterations: number;
  onProgress?: (message: string) => void;
}

export const IVECTOR_DEFAULTS: Omit<IvectorOptions, 'onProgress'> = {
  components: 64,
  ubmFrames: 100_000,
  kmeansIterations: 8,
  kmeansFrames: 20_000,
  ubmIterations: 10,
  varianceFloor: 0.01,
  tvIterations: 8,
};

/** Frames as one row-major [n, dim] array. */
export interface Frames {
  data: Float32Array | Float64Array;
  n: number;
  dim: number;
}

// ---------------------------------------------------------------- the UBM

export interface DiagonalGmm {
  components: number;
  dim: number;
  weights: Float64Array;
  /** [components, dim] */
  means: Float64Array;
  /** [components, dim] */
  variances: Float64Array;
}

/**
 * log p(x, c) = k_c + Σ_f (a_cf x_f² + b_cf x_f) with a = -1/(2v), b = m/v and k_c holding the rest:
 * one pass over [x², x] per component.
 */
interface GmmScorer {
  a: Float64Array;
  b: Float64Array;
  k: Float64Array;
}

function scorer(gmm: DiagonalGmm): GmmScorer {
  const { components: C, dim: F } = gmm;
  const a = new Float64Array(C * F);
  const b = new Float64Array(C * F);
  const k = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = Math.log(gmm.weights[c]) - 0.5 * F * Math.log(2 * Math.PI);
    for (let f = 0; f < F; f++) {
      const v = gmm.variances[c * F + f];
      const m = gmm.means[c * F + f];
      a[c * F + f] = -0.5 / v;
      b[c * F + f] = m / v;
      s -= 0.5 * (Math.log(v) + (m * m) / v);
    }
    k[c] = s;
  }
  return { a, b, k };
}

/**
 * Component posteriors of frame `t` of `data` into `out` ([components]); returns log p(x_t).
 */
function framePosteriors(
  gmm: DiagonalGmm,
  s: GmmScorer,
  data: ArrayLike<number>,
  t: number,
  out: Float64Array,
): number {
  const { components: C, dim: F } = gmm;
  const base = t * F;
  let max = -Infinity;
  for (let c = 0; c < C; c++) {
    let l = s.k[c];
    const row = c * F;
    for (let f = 0; f < F; f++) {
      const x = data[base + f];
      l += x * (s.a[row + f] * x + s.b[row + f]);
    }
    out[c] = l;
    if (l > max) max = l;
  }
  let sum = 0;
  for (let c = 0; c < C; c++) {
    out[c] = Math.exp(out[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < C; c++) out[c] /= sum;
  return max + Math.log(sum);
}

/** Average log-likelihood per frame. */
export function gmmLogLikelihood(gmm: DiagonalGmm, frames: Frames): number {
  const s = scorer(gmm);
  const post = new Float64Array(gmm.components);
  let total = 0;
  for (let t = 0; t < frames.n; t++) total += framePosteriors(gmm, s, frames.data, t, post);
  return total / frames.n;
}

function globalVariance(frames: Frames): Float64Array {
  const { data, n, dim } = frames;
  const mean = new Float64Array(dim);
  const variance = new Float64Array(dim);
  for (let i = 0; i < n * dim; i++) mean[i % dim] += data[i] / n;
  for (let i = 0; i < n * dim; i++) variance[i % dim] += (data[i] - mean[i % dim]) ** 2 / n;
  return variance;
}

/** At most `limit` frames, every ⌈n / limit⌉-th. */
function strided(frames: Frames, limit: number): Frames {
  if (frames.n <= limit) return frames;
  const step = Math.ceil(frames.n / limit);
  const n = Math.ceil(frames.n / step);
  const data = new Float64Array(n * frames.dim);
  for (let i = 0; i < n; i++)
    data.set(frames.data.subarray(i * step * frames.dim, (i * step + 1) * frames.dim), i * frames.dim);
  return { data, n, dim: frames.dim };
}

/** k-means++ seeding (Arthur & Vassilvitskii 2007) then Lloyd iterations; returns the centres. */
export function kmeans(frames: Frames, k: number, rng: Rng, iterations: number): Float64Array {
  const { data, n, dim } = frames;
  if (n < k) throw new Error(`k-means: ${n} frames cannot seed ${k} components`);
  const centres = new Float64Array(k * dim);
  const nearest = new Float64Array(n).fill(Infinity);
  const distance = (t: number, c: number) => {
    let d = 0;
    for (let f = 0; f < dim; f++) d += (data[t * dim + f] - centres[c * dim + f]) ** 2;
    return d;
  };
  let chosen = rng.int(n);
  for (let c = 0; c < k; c++) {
    for (let f = 0; f < dim; f++) centres[c * dim + f] = data[chosen * dim + f];
    if (c === k - 1) break;
    let total = 0;
    for (let t = 0; t < n; t++) {
      nearest[t] = Math.min(nearest[t], distance(t, c));
      total += nearest[t];
    }
    // the next centre is drawn with probability proportional to its squared distance to the chosen ones
    let target = rng.uniform() * total;
    chosen = n - 1;
    for (let t = 0; t < n; t++) {
      target -= nearest[t];
      if (target < 0) {
        chosen = t;
        break;
      }
    }
  }
  const assignment = new Int32Array(n);
  for (let iteration = 0; iteration < iterations; iteration++) {
    for (let t = 0; t < n; t++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < k; c++) {
        const d = distance(t, c);
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
      assignment[t] = best;
    }
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    for (let t = 0; t < n; t++) {
      const c = assignment[t];
      counts[c]++;
      for (let f = 0; f < dim; f++) sums[c * dim + f] += data[t * dim + f];
    }
    // an empty cluster keeps its centre
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) for (let f = 0; f < dim; f++) centres[c * dim + f] = sums[c * dim + f] / counts[c];
    }
  }
  return centres;
}

/**
 * Fits a diagonal GMM by EM from a k-means start. Variances are floored at `varianceFloor` times the
 * global variance, which is itself a constrained M step, so the likelihood still never falls.
 */
export function fitGmm(
  frames: Frames,
  rng: Rng,
  options: Pick<IvectorOptions, 'components' | 'kmeansIterations' | 'ubmIterations' | 'varianceFloor'> & {
    kmeansFrames?: number;
    onIteration?: (iteration: number, logLikelihood: number) => void;
  },
): { gmm: DiagonalGmm; logLikelihood: number[] } {
  const { data, n, dim: F } = frames;
  const C = options.components;
  const floor = globalVariance(frames).map((v) => Math.max(v * options.varianceFloor, 1e-10));
  const means = kmeans(strided(frames, options.kmeansFrames ?? n), C, rng, options.kmeansIterations);
  // start: hard assignments to the k-means centres give weights and variances
  const gmm: DiagonalGmm = {
    components: C,
    dim: F,
    weights: new Float64Array(C).fill(1 / C),
    means,
    variances: new Float64Array(C * F),
  };
  {
    const counts = new Float64Array(C);
    const squares = new Float64Array(C * F);
    for (let t = 0; t < n; t++) {
      let best = 0;
      let bestDistance = Infinity;
      for (let c = 0; c < C; c++) {
        let d = 0;
        for (let f = 0; f < F; f++) d += (data[t * F + f] - means[c * F + f]) ** 2;
        if (d < bestDistance) {
          bestDistance = d;
          best = c;
        }
      }
      counts[best]++;
      for (let f = 0; f < F; f++) squares[best * F + f] += (data[t * F + f] - means[best * F + f]) ** 2;
    }
    for (let c = 0; c < C; c++) {
      gmm.weights[c] = Math.max(counts[c], 1) / (n + C);
      for (let f = 0; f < F; f++)
        gmm.variances[c * F + f] = Math.max(
          counts[c] > 1 ? squares[c * F + f] / counts[c] : floor[f] * 100,
          floor[f],
        );
    }
    const total = gmm.weights.reduce((s, w) => s + w, 0);
    for (let c = 0; c < C; c++) gmm.weights[c] /= total;
  }
  const logLikelihood: number[] = [];
  const post = new Float64Array(C);
  for (let iteration = 0; iteration < options.ubmIterations; iteration++) {
    // E step: responsibilities; accumulate zeroth, first and second order statistics
    const s = scorer(gmm);
    const N = new Float64Array(C);
    const Fx = new Float64Array(C * F);
    const Sxx = new Float64Array(C * F);
    let total = 0;
    for (let t = 0; t < n; t++) {
      total += framePosteriors(gmm, s, data, t, post);
      for (let c = 0; c < C; c++) {
        const g = post[c];
        if (g < 1e-10) continue;
        N[c] += g;
        const row = c * F;
        for (let f = 0; f < F; f++) {
          const x = data[t * F + f];
          Fx[row + f] += g * x;
          Sxx[row + f] += g * x * x;
        }
      }
    }
    logLikelihood.push(total / n);
    options.onIteration?.(iteration, total / n);
    // M step; a component that lost all its frames keeps its parameters
    for (let c = 0; c < C; c++) {
      if (N[c] < 1e-3) continue;
      gmm.weights[c] = N[c] / n;
      for (let f = 0; f < F; f++) {
        const m = Fx[c * F + f] / N[c];
        gmm.means[c * F + f] = m;
        gmm.variances[c * F + f] = Math.max(Sxx[c * F + f] / N[c] - m * m, floor[f]);
      }
    }
    const sum = gmm.weights.reduce((a, w) => a + w, 0);
    for (let c = 0; c < C; c++) gmm.weights[c] /= sum;
  }
  return { gmm, logLikelihood };
}

// ---------------------------------------------------------------- Baum–Welch statistics

/**
 * An utterance's statistics against the UBM: occupancies N_c = Σ_t γ_tc and first-order statistics
 * centred on the UBM means and scaled by its standard deviations, F̃_c = Σ_t γ_tc (x_t − m_c) / σ_c, so
 * the total-variability model below works in the UBM's whitened space (Σ = I).
 */
export interface BaumWelch {
  /** [components] */
  zeroth: Float64Array;
  /** [components, dim] */
  first: Float64Array;
}

export function baumWelch(gmm: DiagonalGmm, frames: Frames): BaumWelch {
  const { components: C, dim: F } = gmm;
  if (frames.dim !== F) throw new Error(`Baum–Welch: frames have ${frames.dim} dims, the UBM ${F}`);
  const s = scorer(gmm);
  const post = new Float64Array(C);
  const zeroth = new Float64Array(C);
  const raw = new Float64Array(C * F);
  for (let t = 0; t < frames.n; t++) {
    framePosteriors(gmm, s, frames.data, t, post);
    for (let c = 0; c < C; c++) {
      const g = post[c];
      if (g < 1e-10) continue;
      zeroth[c] += g;
      for (let f = 0; f < F; f++) raw[c * F + f] += g * frames.data[t * F + f];
    }
  }
  const first = new Float64Array(C * F);
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f++) {
      const i = c * F + f;
      first[i] = (raw[i] - zeroth[c] * gmm.means[i]) / Math.sqrt(gmm.variances[i]);
    }
  }
  return { zeroth, first };
}

// ---------------------------------------------------------------- total variability

/** T, row-major [components·dim, rank], in the UBM's whitened space. */
export interface TotalVariability {
  components: number;
  dim: number;
  rank: number;
  matrix: Float64Array;
}

/** Tᶜᵀ Tᶜ for every component: [components, rank, rank]. */
function componentGrams(tv: TotalVariability): Float64Array {
  const { components: C, dim: F, rank: R, matrix: T } = tv;
  const grams = new Float64Array(C * R * R);
  for (let c = 0; c < C; c++) {
    const g = c * R * R;
    for (let f = 0; f < F; f++) {
      const row = (c * F + f) * R;
      for (let i = 0; i < R; i++) {
        const ti = T[row + i];
        if (ti === 0) continue;
        for (let j = i; j < R; j++) grams[g + i * R + j] += ti * T[row + j];
      }
    }
    for (let i = 0; i < R; i++) for (let j = 0; j < i; j++) grams[g + i * R + j] = grams[g + j * R + i];
  }
  return grams;
}

/**
 * The posterior of w for one utterance: precision L = I + Σ_c N_c Tᶜᵀ Tᶜ, mean L⁻¹ Tᵀ F̃. Returns the
 * mean and the Cholesky factor of L.
 */
function posteriorOfW(
  tv: TotalVariability,
  grams: Float64Array,
  stats: BaumWelch,
): { mean: Float64Array; factor: Float64Array } {
  const { components: C, dim: F, rank: R, matrix: T } = tv;
  const precision = new Float64Array(R * R);
  for (let i = 0; i < R; i++) precision[i * R + i] = 1;
  for (let c = 0; c < C; c++) {
    const n = stats.zeroth[c];
    if (n < 1e-8) continue;
    const g = c * R * R;
    for (let i = 0; i < R; i++) for (let j = i; j < R; j++) precision[i * R + j] += n * grams[g + i * R + j];
  }
  for (let i = 0; i < R; i++) for (let j = 0; j < i; j++) precision[i * R + j] = precision[j * R + i];
  const projected = new Float64Array(R);
  for (let row = 0; row < C * F; row++) {
    const x = stats.first[row];
    if (x === 0) continue;
    const t = row * R;
    for (let r = 0; r < R; r++) projected[r] += T[t + r] * x;
  }
  const factor = cholesky(precision, R);
  return { mean: solveCholesky(factor, R, projected), factor };
}

/**
 * Fits T by EM (Kenny, Boulianne & Dumouchel 2005; Dehak et al. 2011): E step, each utterance's
 * posterior N(w; L⁻¹Tᵀ F̃, L⁻¹); M step, Tᶜ = (Σ_u F̃ᶜ_u E[w]ᵀ)(Σ_u N_c,u E[wwᵀ])⁻¹; then a minimum
 * divergence step, T ← T G with G Gᵀ = mean E[wwᵀ], so the posteriors again average to the N(0, I) prior.
 */
export function trainTotalVariability(
  stats: readonly BaumWelch[],
  components: number,
  dim: number,
  rank: number,
  rng: Rng,
  { iterations, onIteration }: { iterations: number; onIteration?: (iteration: number) => void },
): TotalVariability {
  const C = components;
  const F = dim;
  const R = rank;
  if (stats.length === 0) throw new Error('total variability: no utterances');
  // a small random start: EM and the divergence step scale it up within a few iterations
  const tv: TotalVariability = { components: C, dim: F, rank: R, matrix: new Float64Array(C * F * R) };
  for (let i = 0; i < tv.matrix.length; i++) tv.matrix[i] = 0.1 * rng.normal();
  for (let iteration = 0; iteration < iterations; iteration++) {
    const grams = componentGrams(tv);
    const A = new Float64Array(C * R * R);
    const cross = new Float64Array(C * F * R);
    const second = new Float64Array(R * R);
    for (const u of stats) {
      const { mean, factor } = posteriorOfW(tv, grams, u);
      const moment = inverseFromCholesky(factor, R);
      for (let i = 0; i < R; i++) for (let j = 0; j < R; j++) moment[i * R + j] += mean[i] * mean[j];
      for (let i = 0; i < R * R; i++) second[i] += moment[i];
      for (let c = 0; c < C; c++) {
        const n = u.zeroth[c];
        if (n < 1e-8) continue;
        const g = c * R * R;
        for (let i = 0; i < R; i++) for (let j = i; j < R; j++) A[g + i * R + j] += n * moment[i * R + j];
      }
      for (let row = 0; row < C * F; row++) {
        const x = u.first[row];
        if (x === 0) continue;
        const t = row * R;
        for (let r = 0; r < R; r++) cross[t + r] += x * mean[r];
      }
    }
    // M step, component by component: Tᶜ = crossᶜ Aᶜ⁻¹ (Aᶜ symmetric)
    for (let c = 0; c < C; c++) {
      const g = c * R * R;
      const a = A.subarray(g, g + R * R);
      for (let i = 0; i < R; i++) for (let j = 0; j < i; j++) a[i * R + j] = a[j * R + i];
      for (let i = 0; i < R; i++) a[i * R + i] += 1e-10;
      const factor = cholesky(a, R);
      for (let f = 0; f < F; f++) {
        const row = (c * F + f) * R;
        tv.matrix.set(solveCholesky(factor, R, cross.subarray(row, row + R)), row);
      }
    }
    // minimum divergence: whiten the average second moment of w into T
    for (let i = 0; i < R * R; i++) second[i] /= stats.length;
    const g = cholesky(second, R);
    const next = new Float64Array(C * F * R);
    for (let row = 0; row < C * F; row++) {
      for (let j = 0; j < R; j++) {
        let s = 0;
        for (let k = j; k < R; k++) s += tv.matrix[row * R + k] * g[k * R + j];
        next[row * R + j] = s;
      }
    }
    tv.matrix = next;
    onIteration?.(iteration);
  }
  return tv;
}

/** The i-vector of an utterance: the posterior mean of w given its statistics. */
export function extractIvector(tv: TotalVariability, stats: BaumWelch): Float64Array {
  return posteriorOfW(tv, componentGrams(tv), stats).mean;
}

/** I-vectors of many utterances (T's per-component Gram matrices computed once). */
export function extractIvectors(tv: TotalVariability, stats: readonly BaumWelch[]): Float64Array {
  const grams = componentGrams(tv);
  const out = new Float64Array(stats.length * tv.rank);
  stats.forEach((s, i) => {
    out.set(posteriorOfW(tv, grams, s).mean, i * tv.rank);
  });
  return out;
}

// ---------------------------------------------------------------- on a corpus

const framesOf = (u: Utterance, dim: number): Frames => ({ data: u.features, n: u.frames, dim });

/** Training frames for the UBM: all of them, or `limit` drawn without replacement. */
function ubmTrainingFrames(utterances: readonly Utterance[], dim: number, limit: number, rng: Rng): Frames {
  const total = utterances.reduce((s, u) => s + u.frames, 0);
  const take = Math.min(total, limit);
  const indices = new Int32Array(total);
  for (let i = 0; i < total; i++) indices[i] = i;
  for (let i = 0; i < take; i++) {
    const j = i + rng.int(total - i);
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  const chosen = indices.subarray(0, take).sort();
  const data = new Float64Array(take * dim);
  let u = 0;
  let start = 0;
  for (let i = 0; i < take; i++) {
    while (chosen[i] >= start + utterances[u].frames) start += utterances[u++].frames;
    const row = chosen[i] - start;
    for (let f = 0; f < dim; f++) data[i * dim + f] = utterances[u].features[row * dim + f];
  }
  return { data, n: take, dim };
}

export interface IvectorExtractor {
  ubm: DiagonalGmm;
  ubmLogLikelihood: number[];
  tv: TotalVariability;
  /** the training i-vectors' mean, subtracted from every i-vector this extractor returns */
  mean: Float64Array;
}

/** UBM and statistics of a corpus for a seed and UBM options: the same for every rank, so computed once. */
const ubmCache = new WeakMap<
  SpeechCorpus,
  Map<string, { ubm: DiagonalGmm; ll: number[]; train: BaumWelch[]; test: BaumWelch[] }>
>();

function ubmAndStats(corpus: SpeechCorpus, seed: number, o: IvectorOptions) {
  const key = JSON.stringify([
    seed,
    o.components,
    o.ubmFrames,
    o.kmeansIterations,
    o.kmeansFrames,
    o.ubmIterations,
    o.varianceFloor,
  ]);
  const perCorpus = ubmCache.get(corpus) ?? new Map();
  ubmCache.set(corpus, perCorpus);
  const cached = perCorpus.get(key);
  if (cached) return cached;
  const rng = new Rng(seed);
  const frames = ubmTrainingFrames(corpus.train, corpus.bins, o.ubmFrames, rng);
  o.onProgress?.(`ubm: ${o.components} components on ${frames.n} frames`);
  const { gmm, logLikelihood } = fitGmm(frames, rng, {
    ...o,
    onIteration: (i, ll) =>
      o.onProgress?.(`ubm: EM iteration ${i + 1}, log-likelihood ${ll.toFixed(3)} per frame`),
  });
  const entry = {
    ubm: gmm,
    ll: logLikelihood,
    train: corpus.train.map((u) => baumWelch(gmm, framesOf(u, corpus.bins))),
    test: corpus.test.map((u) => baumWelch(gmm, framesOf(u, corpus.bins))),
  };
  perCorpus.set(key, entry);
  return entry;
}

/**
 * The i-vectors ([n, dim] row-major) of a corpus's train and test utterances: UBM and T fitted on the
 * training utterances only, every i-vector centred on the training i-vectors' mean.
 */
export function ivectors(
  corpus: SpeechCorpus,
  dim: number,
  seed: number,
  options: Partial<IvectorOptions> = {},
): { train: Float32Array; test: Float32Array; extractor: IvectorExtractor } {
  const o: IvectorOptions = { ...IVECTOR_DEFAULTS, ...options };
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`i-vector dim must be a positive integer, got ${dim}`);
  if (corpus.train.length === 0) throw new Error('i-vectors: the corpus has no training utterances');
  const { ubm, ll, train, test } = ubmAndStats(corpus, seed, o);
  const tv = trainTotalVariability(train, ubm.components, ubm.dim, dim, new Rng(seed).fork(), {
    iterations: o.tvIterations,
    onIteration: (i) =>
      o.onProgress?.(`total variability (rank ${dim}): EM iteration ${i + 1}/${o.tvIterations}`),
  });
  const trainVectors = extractIvectors(tv, train);
  const testVectors = extractIvectors(tv, test);
  const mean = new Float64Array(dim);
  for (let i = 0; i < trainVectors.length; i++) mean[i % dim] += trainVectors[i] / train.length;
  const centred = (v: Float64Array) => Float32Array.from(v, (x, i) => x - mean[i % dim]);
  return {
    train: centred(trainVectors),
    test: centred(testVectors),
    extractor: { ubm, ubmLogLikelihood: ll, tv, mean },
  };
}
