import { InputError } from '../io/input-error.ts';
import type { BetaVaeScoreOptions, BetaVaeScoreResult } from './beta-vae-score.ts';
import { poolSource } from './code-source.ts';
import type { DciOptions, DciResult } from './dci.ts';
import type { FactorVaeScoreOptions, FactorVaeScoreResult } from './factor-vae-score.ts';
import type { IrsOptions, IrsResult } from './irs.ts';
import type { MigOptions, MigResult } from './mig.ts';
import type { ModularityOptions, ModularityResult } from './modularity-explicitness.ts';
import type { SapOptions, SapResult } from './sap.ts';
import { METRICS, metricRng, parseMetricSettings } from './suite.ts';
import type { UnsupervisedResult } from './unsupervised.ts';

/** A matrix [rows, cols]: nested rows, or flat row-major values with their shape (an .npy array). */
export type Matrix =
  | readonly (readonly number[])[]
  | { readonly data: ArrayLike<number> | BigInt64Array; readonly shape: readonly number[] };

/** Options every metric function takes besides its own: the seed of the draws it makes. */
export interface MetricCallOptions {
  /** seed of every draw the metric makes (default 0); the same seed gives the same score */
  seed?: number;
  /** names of the factors, for results that name them */
  factorNames?: readonly string[];
  /** 0-based columns of continuous factors: regressed where a metric fits a classifier, binned where it counts */
  continuous?: readonly number[];
  /** histogram bins of each continuous factor (disentanglement_lib: 20) */
  bins?: number;
}

export function toMatrix(what: string, m: Matrix): { values: Float64Array; rows: number; cols: number } {
  if (Array.isArray(m)) {
    const rows = m.length;
    const cols = rows === 0 ? 0 : (m[0] as readonly number[]).length;
    const values = new Float64Array(rows * cols);
    (m as readonly (readonly number[])[]).forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cols)
        throw new InputError(`${what}: row ${i} has ${row?.length} values, expected ${cols} like row 0`);
      values.set(row, i * cols);
    });
    return check(what, values, rows, cols);
  }
  const { data, shape } = m as Exclude<Matrix, readonly (readonly number[])[]>;
  if (shape.length !== 1 && shape.length !== 2)
    throw new InputError(`${what}: shape [${shape.join(', ')}], expected [n, k] or [n]`);
  const [rows, cols = 1] = shape;
  if (data.length !== rows * cols)
    throw new InputError(
      `${what}: ${data.length} values, expected ${rows * cols} for shape [${shape.join(', ')}]`,
    );
  return check(what, Float64Array.from(data as ArrayLike<number | bigint>, Number), rows, cols);
}

function check(what: string, values: Float64Array, rows: number, cols: number) {
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new InputError(`${what}: value ${values[bad]} at flat index ${bad}, expected finite numbers`);
  if (cols === 0) throw new InputError(`${what}: no columns`);
  return { values, rows, cols };
}

/**
 * Scores codes [n, dim] against factors [n, k] (or [n]; integers, or any numbers in `continuous` columns)
 * with the metric of the given suite name,
 * under disentanglement_lib's defaults overridden by `options` (validated as `untangle metrics --set`).
 */
export function scoreCodes(
  name: string,
  codes: Matrix,
  factors: Matrix,
  options: Record<string, number> & MetricCallOptions = {},
): object {
  const entry = METRICS[name];
  if (entry == null)
    throw new InputError(`unknown metric "${name}": expected one of ${Object.keys(METRICS).join(', ')}`);
  const { seed = 0, factorNames, continuous = [], bins = 20, ...own } = options;
  const settings = Object.entries(own).map(([key, value]) => `${name}.${key}=${value}`);
  const overrides = parseMetricSettings(settings, [name])[name] ?? {};
  const z = toMatrix('codes', codes);
  const y = toMatrix('factors', factors);
  if (y.rows !== z.rows) throw new InputError(`factors: ${y.rows} rows, expected ${z.rows} like codes`);
  const bad = continuous.find((j) => !Number.isInteger(j) || j < 0 || j >= y.cols);
  if (bad != null) throw new InputError(`continuous: column ${bad}, expected 0..${y.cols - 1}`);
  if (!Number.isInteger(bins) || bins < 2) throw new InputError(`bins: ${bins}, expected an integer >= 2`);
  const fractional = y.values.findIndex(
    (v, i) => !continuous.includes(i % y.cols) && (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1),
  );
  if (fractional >= 0)
    throw new InputError(
      `factors: value ${y.values[fractional]} at flat index ${fractional}, expected integers (or name its column in continuous)`,
    );
  if (z.rows < 10) throw new InputError(`codes: ${z.rows} rows, expected at least 10`);
  const source = poolSource(z.values, y.values, z.rows, z.cols, factorNames, {
    continuous: { columns: continuous, bins },
  });
  return entry.run(source, metricRng(seed, name), { ...entry.defaults, ...overrides });
}

type Call<O> = Partial<O> & MetricCallOptions;

/** MIG (disentanglement_lib's discretised variant) of codes against factors. */
export const mig = (codes: Matrix, factors: Matrix, options: Call<MigOptions> = {}): MigResult =>
  scoreCodes('mig', codes, factors, options as Record<string, number>) as MigResult;
/** DCI disentanglement, completeness and informativeness (gradient-boosted trees). */
export const dci = (codes: Matrix, factors: Matrix, options: Call<DciOptions> = {}): DciResult =>
  scoreCodes('dci', codes, factors, options as Record<string, number>) as DciResult;
/** SAP score. */
export const sap = (codes: Matrix, factors: Matrix, options: Call<SapOptions> = {}): SapResult =>
  scoreCodes('sap', codes, factors, options as Record<string, number>) as SapResult;
/** BetaVAE score (a pool's rows sharing a factor value stand in for fresh samples). */
export const betaVaeScore = (
  codes: Matrix,
  factors: Matrix,
  options: Call<BetaVaeScoreOptions> = {},
): BetaVaeScoreResult =>
  scoreCodes('beta-vae-score', codes, factors, options as Record<string, number>) as BetaVaeScoreResult;
/** FactorVAE score. */
export const factorVaeScore = (
  codes: Matrix,
  factors: Matrix,
  options: Call<FactorVaeScoreOptions> = {},
): FactorVaeScoreResult =>
  scoreCodes('factor-vae-score', codes, factors, options as Record<string, number>) as FactorVaeScoreResult;
/** Modularity and explicitness (Ridgeway & Zemel 2018). */
export const modularityExplicitness = (
  codes: Matrix,
  factors: Matrix,
  options: Call<ModularityOptions> = {},
): ModularityResult =>
  scoreCodes(
    'modularity-explicitness',
    codes,
    factors,
    options as Record<string, number>,
  ) as ModularityResult;
/** Interventional Robustness Score. */
export const irs = (codes: Matrix, factors: Matrix, options: Call<IrsOptions> = {}): IrsResult =>
  scoreCodes('irs', codes, factors, options as Record<string, number>) as IrsResult;
/** Gaussian total correlation, Wasserstein correlation and mutual information of the codes. */
export const unsupervised = (
  codes: Matrix,
  factors: Matrix,
  options: Call<{ numTrain: number; bins: number }> = {},
): UnsupervisedResult =>
  scoreCodes('unsupervised', codes, factors, options as Record<string, number>) as UnsupervisedResult;

/** The names of every metric in the suite (new metrics appear here and in `scoreCodes` by themselves). */
export const metricNames = (): string[] => Object.keys(METRICS);
