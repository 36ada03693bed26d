import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { type FactorTask, factorThreads, perFactor } from './factor-threads.ts';
import { entropy, mutualInformation } from './information.ts';
import { knnMutualInformation } from './knn-mutual-information.ts';
import { fitLogistic, predictProbabilities } from './logistic-regression.ts';
import { column, intColumns } from './representation.ts';

/**
 * InfoMEC (Hsu, Dorrell, Whittington, Wu & Finn 2023, "Disentanglement via latent quantization"): from the
 * normalised MI matrix NMI[factor][dim] = I(z_j; v_i) / H(v_i) — continuous codes by the nearest-neighbour
 * estimator (10 neighbours), discrete codes (`discreteLatents` = 1) by counting — over the active dims
 * (range above 1/20 of the largest range):
 * InfoM (modularity) = (mean over dims of max_i NMI / Σ_i NMI − 1/K) / (1 − 1/K),
 * InfoC (compactness) = (mean over factors of max_j NMI / Σ_j NMI − 1/L) / (1 − 1/L), L active dims;
 * InfoE (explicitness) = mean over factors of (H₀ − CE) / H₀, CE the log-loss of an unpenalised, class-
 * balanced multinomial logistic regression on the standardised codes (on its training points), H₀ that of
 * the same fit without features, log K_i. A dim or factor whose NMIs are all 0 counts at chance (1/K, 1/L).
 */
export interface InfoMecOptions {
  numTrain: number;
  neighbours: number;
  /** 1: the codes are discrete labels, MI by counting */
  discreteLatents: number;
}
export const INFOMEC_DEFAULTS: InfoMecOptions = { numTrain: 10_000, neighbours: 10, discreteLatents: 0 };

export interface InfoMecResult {
  infoM: number;
  infoE: number;
  infoC: number;
  /** NMI [factor][dim] over all dims */
  nmi: number[][];
  activeDims: number;
}

/** InfoM and InfoC of an NMI matrix [factor][activeDim]. */
export function infoMcOf(nmi: number[][]): { infoM: number; infoC: number } {
  const factors = nmi.length;
  const dims = nmi[0]?.length ?? 0;
  const concentration = (values: number[]) => {
    const sum = values.reduce((a, b) => a + b, 0);
    return sum > 0 ? Math.max(...values) / sum : 1 / values.length;
  };
  const rescale = (mean: number, count: number) => (count > 1 ? (mean - 1 / count) / (1 - 1 / count) : 1);
  const perDim = Array.from({ length: dims }, (_, j) => concentration(nmi.map((row) => row[j])));
  const perFactor = nmi.map(concentration);
  return {
    infoM: rescale(perDim.reduce((a, b) => a + b, 0) / dims, factors),
    infoC: rescale(perFactor.reduce((a, b) => a + b, 0) / factors, dims),
  };
}

/** Codes standardised per dim (population std; a constant dim keeps scale 1). */
function standardized(codes: Float64Array, n: number, dim: number): Float64Array {
  const out = new Float64Array(n * dim);
  for (let d = 0; d < dim; d++) {
    const x = column(codes, n, dim, d);
    const mean = x.reduce((a, b) => a + b, 0) / n;
    const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / n) || 1;
    for (let i = 0; i < n; i++) out[i * dim + d] = (x[i] - mean) / std;
  }
  return out;
}

/** (H₀ − CE) / H₀ of an unpenalised balanced logistic regression predicting `labels` from `x`. */
export function normalizedPredictiveInformation(
  x: Float64Array,
  labels: Int32Array,
  features: number,
): number {
  const model = fitLogistic(x, labels, features, { penalty: false, classWeight: 'balanced' });
  const k = model.classes.length;
  if (k < 2) return 0;
  const p = predictProbabilities(model, x, labels.length);
  const index = new Map(model.classes.map((c, j) => [c, j]));
  let crossEntropy = 0;
  // scikit-learn's log_loss clips probabilities to machine epsilon
  for (let i = 0; i < labels.length; i++) {
    crossEntropy -= Math.log(Math.max(p[i * k + index.get(labels[i])!], 2 ** -52));
  }
  crossEntropy /= labels.length;
  // a balanced fit without features predicts the uniform distribution
  const baseline = Math.log(k);
  return (baseline - crossEntropy) / baseline;
}

/** What one factor's InfoE needs, as a worker thread receives it. */
export interface InfoEJob {
  x: Float64Array;
  labels: Int32Array[];
  dim: number;
}
export const infoETask: FactorTask<InfoEJob> = {
  module: import.meta.url,
  name: 'infoEOfFactor',
  run: (job, f) => infoEOfFactor(job, f),
};
export function infoEOfFactor(job: InfoEJob, f: number): Float64Array {
  return Float64Array.of(normalizedPredictiveInformation(job.x, job.labels[f], job.dim));
}

/** Below this many rows × classes a second thread costs more to start than it saves. */
const PARALLEL_WORK = 2e5;

export function infoMecFromSample(
  codes: Float64Array,
  factors: Int32Array,
  n: number,
  dim: number,
  numFactors: number,
  { neighbours, discreteLatents }: Pick<InfoMecOptions, 'neighbours' | 'discreteLatents'>,
): InfoMecResult {
  const factorColumns = intColumns(factors, n, numFactors);
  const codeColumns = Array.from({ length: dim }, (_, d) => column(codes, n, dim, d));
  const nmi = factorColumns.map((f) => {
    const h = entropy(f);
    return codeColumns.map((z) => {
      if (h === 0) return 0;
      const mi = discreteLatents
        ? mutualInformation(labelEncoded(z), f)
        : knnMutualInformation(z, f, neighbours);
      return mi / h;
    });
  });
  const ranges = codeColumns.map((z) => Math.max(...z) - Math.min(...z));
  const largest = Math.max(...ranges);
  const active = ranges
    .map((r, d) => ((discreteLatents ? r > 0 : r > largest / 20) ? d : -1))
    .filter((d) => d >= 0);
  const { infoM, infoC } =
    active.length > 0 ? infoMcOf(nmi.map((row) => active.map((d) => row[d]))) : { infoM: 0, infoC: 0 };
  const job: InfoEJob = { x: standardized(codes, n, dim), labels: factorColumns, dim };
  const classes = factorColumns.map((f) => new Set(f).size);
  const work = n * classes.reduce((a, b) => a + b, 0);
  const threads = work >= PARALLEL_WORK ? factorThreads() : 1;
  const scores = perFactor(infoETask, job, numFactors, 1, (f) => classes[f], threads);
  // summed in factor order, whichever thread computed which
  const infoE = scores.reduce((s, score) => s + score[0], 0) / numFactors;
  return { infoM, infoE, infoC, nmi, activeDims: active.length };
}

/** Values relabelled 0..m−1 in ascending order. */
function labelEncoded(values: Float64Array): Int32Array {
  const distinct = [...new Set(values)].sort((a, b) => a - b);
  const index = new Map(distinct.map((v, i) => [v, i]));
  return Int32Array.from(values, (v) => index.get(v)!);
}

export function infoMec(source: CodeSource, rng: Rng, options: Partial<InfoMecOptions> = {}): InfoMecResult {
  const o = { ...INFOMEC_DEFAULTS, ...options };
  const [s] = source.samples([o.numTrain], rng);
  return infoMecFromSample(s.codes, s.factors, s.n, source.dim, source.factorSizes.length, o);
}
