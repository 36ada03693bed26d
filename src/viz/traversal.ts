import type { ImageBatch } from './image-grid.ts';

/** Decodes n codes (row-major [n, z]) into images [n, h, w, c] in [0, 1]. */
export type Decode = (codes: Float32Array, n: number) => Float32Array;

export interface TraversalOptions {
  /** the seed image's code */
  mean: Float32Array;
  decode: Decode;
  imageShape: readonly [number, number, number];
  /** latent dims to traverse, one row each, in this order (e.g. sorted by KL) */
  dims: readonly number[];
  /** values per dim */
  steps?: number;
  /** traverse mean_d ± range prior standard deviations */
  range?: number;
  /** most codes decoded at once */
  batchSize?: number;
}

/** The traversed values of one dim: `steps` evenly spaced from mean−range to mean+range. */
export function traversalValues(center: number, steps: number, range: number): number[] {
  return Array.from({ length: steps }, (_, i) => center - range + (2 * range * i) / (steps - 1));
}

/**
 * Latent traversal (Higgins et al. 2017): row r changes only dim dims[r] of the seed code across its
 * range, every other dim held at the seed's value. Returns the images, row-major [dims x steps].
 */
export function traversalImages({
  mean,
  decode,
  imageShape,
  dims,
  steps = 10,
  range = 2,
  batchSize = 64,
}: TraversalOptions): ImageBatch {
  const z = mean.length;
  const n = dims.length * steps;
  const codes = new Float32Array(n * z);
  dims.forEach((dim, r) => {
    traversalValues(mean[dim], steps, range).forEach((value, c) => {
      const row = codes.subarray((r * steps + c) * z, (r * steps + c + 1) * z);
      row.set(mean);
      row[dim] = value;
    });
  });
  const [h, w, ch] = imageShape;
  return { data: decodeInBatches(codes, n, z, h * w * ch, decode, batchSize), shape: [n, h, w, ch] };
}

export function decodeInBatches(
  codes: Float32Array,
  n: number,
  z: number,
  pixels: number,
  decode: Decode,
  batchSize = 64,
): Float32Array {
  const out = new Float32Array(n * pixels);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    out.set(decode(codes.subarray(start * z, (start + count) * z), count), start * pixels);
  }
  return out;
}

/** Frames of the animated traversal: frame t shows every dim at its t-th value, going there and back. */
export function pingPong(steps: number): number[] {
  return [
    ...Array.from({ length: steps }, (_, i) => i),
    ...Array.from({ length: steps - 2 }, (_, i) => steps - 2 - i),
  ];
}
