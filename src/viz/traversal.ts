import type { RgbImage } from '../io/png.ts';
import { type GridOptions, type ImageBatch, imageAt, imageGrid, rowsOf } from './image-grid.ts';

/** Decodes n codes (row-major [n, z]) into n images, row-major [n, h, w, c], values in [0, 1]. */
export type Decode = (codes: Float32Array, n: number) => Float32Array;

export interface TraversalOptions {
  /** the seed code, e.g. the posterior mean of one image */
  mu: Float32Array;
  decode: Decode;
  /** [h, w, c] of one decoded image */
  imageShape: readonly [number, number, number];
  /** latent dims to traverse, one row each, in this order (e.g. KL descending) */
  dims: readonly number[];
  /** standard deviations a step is measured in: per dim (the posterior's) or one for all; 1 = the prior's */
  scale?: Float32Array | readonly number[] | number;
  /** values per dim: the columns */
  steps?: number;
  /** each dim spans mu_d ± range * scale_d */
  range?: number;
  /** most codes passed to one decode call */
  batchSize?: number;
}

export const TRAVERSAL_DEFAULTS = { scale: 1, steps: 10, range: 2, batchSize: 64 } as const;

/** A decoded traversal: images row-major [dims.length * steps], row r moving dims[r]. */
export interface Traversal {
  images: ImageBatch;
  dims: readonly number[];
  steps: number;
  /** values[r][col]: the value dims[r] takes in that column */
  values: number[][];
}

/** `steps` evenly spaced values from center − halfWidth to center + halfWidth. */
export function traversalValues(center: number, halfWidth: number, steps: number): number[] {
  if (steps === 1) return [center];
  return Array.from({ length: steps }, (_, i) => center - halfWidth + (2 * halfWidth * i) / (steps - 1));
}

/**
 * Latent traversal (Higgins et al. 2017, Fig. 7): row r sweeps dim dims[r] of the seed code across
 * mu_d ± range·scale_d, every other dim held at the seed's value. Decodes once; draw it with
 * traversalGrid and traversalFrames.
 */
export function decodeTraversal(options: TraversalOptions): Traversal {
  const { mu, decode, imageShape, dims, scale, steps, range, batchSize } = {
    ...TRAVERSAL_DEFAULTS,
    ...options,
  };
  const z = mu.length;
  if (!Number.isInteger(steps) || steps < 1)
    throw new RangeError(`steps must be a positive integer, got ${steps}`);
  for (const d of dims)
    if (!Number.isInteger(d) || d < 0 || d >= z) throw new RangeError(`dim ${d} is not in 0..${z - 1}`);
  if (typeof scale !== 'number' && scale.length !== z)
    throw new RangeError(`scale has ${scale.length} entries, the code ${z}`);
  const sd = (d: number) => (typeof scale === 'number' ? scale : scale[d]);
  const values = dims.map((d) => traversalValues(mu[d], range * sd(d), steps));
  const n = dims.length * steps;
  const codes = new Float32Array(n * z);
  dims.forEach((d, r) => {
    values[r].forEach((value, col) => {
      const code = codes.subarray((r * steps + col) * z, (r * steps + col + 1) * z);
      code.set(mu);
      code[d] = value;
    });
  });
  const [h, w, c] = imageShape;
  const data = decodeInBatches(codes, n, z, h * w * c, decode, batchSize);
  return { images: { data, shape: [n, h, w, c] }, dims, steps, values };
}

/** The traversal picture: one row per dim in the given order, one column per value. */
export function traversalGrid(source: TraversalOptions | Traversal, grid: GridOptions = {}): RgbImage {
  const { images, dims, steps } = decoded(source);
  return imageGrid(
    rowsOf(dims.length * steps, steps).map((row) => row.map((i) => imageAt(images, i))),
    grid,
  );
}

export interface FrameOptions extends GridOptions {
  /** dims per row of a frame; default all in one row */
  cols?: number;
}

/**
 * Frames of the animated traversal: frame t shows every dim (in the given order, `cols` to a row) at
 * its t-th value, going forward then back, so a looping GIF plays smoothly.
 */
export function traversalFrames(
  source: TraversalOptions | Traversal,
  options: FrameOptions = {},
): RgbImage[] {
  const { images, dims, steps } = decoded(source);
  const { cols = dims.length, ...grid } = options;
  return pingPong(steps).map((t) =>
    imageGrid(
      rowsOf(dims.length, cols).map((row) => row.map((r) => imageAt(images, r * steps + t))),
      grid,
    ),
  );
}

/** 0, 1, ..., steps−1, steps−2, ..., 1: the ends are shown once per loop. */
export function pingPong(steps: number): number[] {
  const forward = Array.from({ length: steps }, (_, i) => i);
  return [...forward, ...forward.slice(1, -1).reverse()];
}

/** Decodes n codes of length z, at most batchSize per call to `decode`. */
export function decodeInBatches(
  codes: Float32Array,
  n: number,
  z: number,
  pixels: number,
  decode: Decode,
  batchSize: number = TRAVERSAL_DEFAULTS.batchSize,
): Float32Array {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const out = new Float32Array(n * pixels);
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const images = decode(codes.subarray(start * z, (start + count) * z), count);
    if (images.length !== count * pixels)
      throw new RangeError(`decode returned ${images.length} values for ${count} images of ${pixels}`);
    out.set(images, start * pixels);
  }
  return out;
}

function decoded(source: TraversalOptions | Traversal): Traversal {
  return 'images' in source ? source : decodeTraversal(source);
}
