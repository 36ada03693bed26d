import type { Rng } from '../engine/rng.ts';
import type { CodeSource } from './code-source.ts';
import { discretizedColumns, entropy, mutualInformationMatrix, topTwo } from './information.ts';
import { intColumns } from './representation.ts';

/**
 * DCIMIG (Sepliarskaia, Kiseleva & de Rijke 2019, "Evaluating disentangled representations"), as
 * Carbonneau et al. 2022 compute it: codes in 10 equal-width bins; each code dim is credited to the factor
 * it shares most information with, by the gap between its two largest MIs; each factor keeps the largest
 * gap credited to it (0 if none); DCIMIG = Σ of those / Σ_v H(v).
 */
export interface DcimigOptions {
  numTrain: number;
  bins: number;
}
export const DCIMIG_DEFAULTS: DcimigOptions = { numTrain: 10_000, bins: 10 };

export interface DcimigResult {
  dcimig: number;
  /** per factor: the largest gap credited to it, in nats */
  gapPerFactor: number[];
}

export function dcimigFromSample(
  codes: Float64Array,
  factors: Int32Array,
  n: number,
  dim: number,
  numFactors: number,
  bins: number,
): DcimigResult {
  const discrete = discretizedColumns(codes, n, dim, bins);
  const factorColumns = intColumns(factors, n, numFactors);
  const mi = mutualInformationMatrix(discrete, factorColumns);
  const gapPerFactor = new Array<number>(numFactors).fill(0);
  for (const row of mi) {
    const { first, second, index } = topTwo(row);
    const gap = first - (numFactors > 1 ? second : 0);
    gapPerFactor[index] = Math.max(gapPerFactor[index], gap);
  }
  const totalEntropy = factorColumns.reduce((s, f) => s + entropy(f), 0);
  const dcimig = totalEntropy > 0 ? gapPerFactor.reduce((a, b) => a + b, 0) / totalEntropy : 0;
  return { dcimig, gapPerFactor };
}

export function dcimig(source: CodeSource, rng: Rng, options: Partial<DcimigOptions> = {}): DcimigResult {
  const o = { ...DCIMIG_DEFAULTS, ...options };
  const [s] = source.samples([o.numTrain], rng);
  return dcimigFromSample(s.codes, s.factors, s.n, source.dim, source.factorSizes.length, o.bins);
}
