import type { Rng } from '../engine/rng.ts';

/** A learned representation: observations [n, h, w, c] in, codes [n, dim] out. */
export interface Representation {
  dim: number;
  encode(x: Float32Array, n: number): Float32Array;
}

/** A Gaussian posterior q(z|x) = N(mean, exp(logVar)), each row-major [n, dim]. */
export interface Posterior {
  mean: Float32Array;
  logVar: Float32Array;
}

/** An encoder with a Gaussian posterior: the mean and sampled representations both come from it. */
export interface PosteriorEncoder {
  dim: number;
  encodePosterior(x: Float32Array, n: number): Posterior;
}

/** Which code of a Gaussian posterior is scored: its mean, or one draw z ~ q(z|x). */
export type CodeKind = 'mean' | 'sampled';

/** Codes of the given kind from a posterior; sampled codes draw their noise from `rng`. */
export function codesOf(posterior: Posterior, kind: CodeKind, rng: Rng): Float64Array {
  const { mean, logVar } = posterior;
  const out = Float64Array.from(mean);
  if (kind === 'sampled') {
    for (let i = 0; i < out.length; i++) out[i] += Math.exp(logVar[i] / 2) * rng.normal();
  }
  return out;
}

/** Column j of a row-major [rows, cols] array. */
export function column(values: ArrayLike<number>, rows: number, cols: number, j: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = values[i * cols + j];
  return out;
}

/** Columns of a row-major [rows, cols] array, as the integer labels metrics count. */
export function intColumns(values: ArrayLike<number>, rows: number, cols: number): Int32Array[] {
  return Array.from({ length: cols }, (_, j) => Int32Array.from(column(values, rows, cols, j)));
}
