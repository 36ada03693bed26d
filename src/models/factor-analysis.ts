import type { Rng } from '../engine/rng.ts';
import { inverseSpd, logDeterminant } from '../math/cholesky.ts';

/**
 * Factor analysis: x = W z + μ + ε, z ~ N(0, I_k), ε ~ N(0, Ψ) with Ψ diagonal — the linear Gaussian
 * latent-variable model, fitted by EM (Rubin & Thayer 1982; Ghahramani & Hinton 1996). Everything is
 * computed from n·d·k products (never the d×d covariance), in float64, so it fits MNIST-sized data.
 */
export interface FactorAnalysis {
  /** observed dims d and factors k */
  dims: number;
  factors: number;
  /** [d] */
  mean: Float64Array;
  /** loadings, row-major [d, k] */
  loadings: Float64Array;
  /** noise variances Ψ, [d] */
  noise: Float64Array;
}

export interface FitOptions {
  factors: number;
  iterations: number;
  /** stop when the average log-likelihood rises by less than this */
  tolerance: number;
  /** floor on Ψ so a constant pixel cannot make the likelihood unbounded */
  minNoise: number;
  onIteration?: (iteration: number, logLikelihood: number) => void;
}
const FIT_DEFAULTS = { iterations: 100, tolerance: 1e-5, minNoise: 1e-4 };

/** Fits rows of x (row-major [n, d]) by EM from a seeded random start; returns the model and LL trace. */
export function fitFactorAnalysis(
  x: Float64Array,
  n: number,
  d: number,
  rng: Rng,
  options: Partial<FitOptions> & { factors: number },
): { model: FactorAnalysis; logLikelihood: number[] } {
  const o = { ...FIT_DEFAULTS, ...options };
  const k = o.factors;
  const mean = new Float64Array(d);
  for (let i = 0; i < n * d; i++) mean[i % d] += x[i] / n;
  const centered = x.map((v, i) => v - mean[i % d]);
  const variance = new Float64Array(d);
  for (let i = 0; i < n * d; i++) variance[i % d] += centered[i] ** 2 / n;

  const loadings = Float64Array.from(
    { length: d * k },
    (_, i) => 0.1 * Math.sqrt(variance[Math.floor(i / k)]) * rng.normal(),
  );
  const noise = variance.map((v) => Math.max(v, o.minNoise));
  const model: FactorAnalysis = { dims: d, factors: k, mean, loadings, noise };
  const trace: number[] = [];
  for (let iteration = 0; iteration < o.iterations; iteration++) {
    // E step: posterior of every z given its x (shared precision, per-row mean)
    const { posteriorMean, covariance } = posterior(model, centered, n, true);
    // M step: W = (Σ x E[z]ᵀ)(Σ E[z zᵀ])⁻¹, Ψ = diag(S − W Σ E[z] xᵀ / n)
    const xz = new Float64Array(d * k);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < d; a++) {
        const v = centered[i * d + a];
        if (v === 0) continue;
        for (let b = 0; b < k; b++) xz[a * k + b] += v * posteriorMean[i * k + b];
      }
    }
    const zz = covariance.map((v) => v * n);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) zz[a * k + b] += posteriorMean[i * k + a] * posteriorMean[i * k + b];
    }
    const zzInverse = inverseSpd(zz, k);
    for (let a = 0; a < d; a++) {
      let explained = 0;
      for (let b = 0; b < k; b++) {
        let w = 0;
        for (let c = 0; c < k; c++) w += xz[a * k + c] * zzInverse[c * k + b];
        loadings[a * k + b] = w;
        explained += w * xz[a * k + b];
      }
      noise[a] = Math.max(variance[a] - explained / n, o.minNoise);
    }
    const ll = averageLogLikelihood(model, centered, n);
    trace.push(ll);
    o.onIteration?.(iteration, ll);
    if (iteration > 0 && ll - trace[iteration - 1] < o.tolerance) break;
  }
  return { model, logLikelihood: trace };
}

/**
 * q(z|x) = N(M⁻¹ Wᵀ Ψ⁻¹ (x − μ), M⁻¹) with M = I + Wᵀ Ψ⁻¹ W. Rows of `x` are [n, d]; pass `centered`
 * when μ has already been subtracted.
 */
export function posterior(model: FactorAnalysis, x: Float64Array, n: number, centered = false) {
  const { dims: d, factors: k, loadings, noise, mean } = model;
  const precision = new Float64Array(k * k);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < k; b++)
      for (let c = 0; c < k; c++)
        precision[b * k + c] += (loadings[a * k + b] * loadings[a * k + c]) / noise[a];
  }
  for (let b = 0; b < k; b++) precision[b * k + b] += 1;
  const covariance = inverseSpd(precision, k);
  const projected = new Float64Array(n * k); // Wᵀ Ψ⁻¹ (x − μ)
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const v = (x[i * d + a] - (centered ? 0 : mean[a])) / noise[a];
      if (v === 0) continue;
      for (let b = 0; b < k; b++) projected[i * k + b] += loadings[a * k + b] * v;
    }
  }
  const posteriorMean = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += covariance[b * k + c] * projected[i * k + c];
      posteriorMean[i * k + b] = s;
    }
  }
  return { posteriorMean, covariance, projected, precision };
}

/** Mean log N(x; μ, W Wᵀ + Ψ) over rows of centred x, by the Woodbury identity and det lemma. */
export function averageLogLikelihood(model: FactorAnalysis, centered: Float64Array, n: number): number {
  const { dims: d, factors: k, noise } = model;
  const { posteriorMean, projected, precision } = posterior(model, centered, n, true);
  const logDet = noise.reduce((s, v) => s + Math.log(v), 0) + logDeterminant(precision, k);
  let quadratic = 0;
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) quadratic += centered[i * d + a] ** 2 / noise[a];
    // minus (WᵀΨ⁻¹x)ᵀ M⁻¹ (WᵀΨ⁻¹x) = projected · posteriorMean
    for (let b = 0; b < k; b++) quadratic -= projected[i * k + b] * posteriorMean[i * k + b];
  }
  return -0.5 * (d * Math.log(2 * Math.PI) + logDet + quadratic / n);
}

/** E[x | z] = W z + μ, rows of z [n, k]. */
export function reconstruct(model: FactorAnalysis, z: Float64Array, n: number): Float64Array {
  const { dims: d, factors: k, loadings, mean } = model;
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      let s = mean[a];
      for (let b = 0; b < k; b++) s += loadings[a * k + b] * z[i * k + b];
      out[i * d + a] = s;
    }
  }
  return out;
}
