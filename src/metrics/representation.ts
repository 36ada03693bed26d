import type { GroundTruthData } from '../data/ground-truth.ts';
import type { Rng } from '../engine/rng.ts';

/** A learned representation: observations [n, h, w, c] in, codes [n, dim] out. */
export interface Representation {
  dim: number;
  encode(x: Float32Array, n: number): Float32Array;
}

/** Codes and factors of `count` fresh samples, observations encoded `batchSize` at a time. */
export interface CodeSample {
  /** row-major [count, dim] */
  codes: Float64Array;
  /** row-major [count, numFactors] */
  factors: Int32Array;
  count: number;
  dim: number;
}

export function sampleCodes(
  data: GroundTruthData,
  representation: Representation,
  count: number,
  rng: Rng,
  batchSize = 64,
): CodeSample {
  const k = data.factorSizes.length;
  const codes = new Float64Array(count * representation.dim);
  const factors = new Int32Array(count * k);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const f = data.sampleFactors(n, rng);
    const x = data.sampleObservationsFromFactors(f, rng);
    factors.set(f, start * k);
    codes.set(representation.encode(x, n), start * representation.dim);
  }
  return { codes, factors, count, dim: representation.dim };
}

/** Column j of a row-major [rows, cols] array. */
export function column(values: ArrayLike<number>, rows: number, cols: number, j: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = values[i * cols + j];
  return out;
}
