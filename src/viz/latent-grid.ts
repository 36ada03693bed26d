import type { RgbImage } from '../io/png.ts';
import { type GridOptions, imageGrid } from './image-grid.ts';
import { type Decode, decodeInBatches } from './traversal.ts';

/**
 * The 2-D latent space decoded on a grid, as in Kingma & Welling 2014 (Fig. 4): evenly spaced points of
 * the unit square mapped through the inverse standard-normal CDF, so each cell holds an equal share of
 * the prior's mass. With `size` points per axis the i-th value is Φ⁻¹((i + 0.5) / size).
 */
export interface LatentGrid {
  /** points per axis */
  size: number;
  /** the latent values along each axis, ascending */
  values: number[];
  /** [size², 2] codes, row-major over the picture: row r has z₂ = values[size − 1 − r], column c z₁ = values[c] */
  codes: Float32Array;
  /** [size², h, w, c] decoded images in [0, 1] */
  images: Float32Array;
  imageShape: readonly [number, number, number];
}

/** Φ⁻¹((i + 0.5) / size) for i = 0 .. size − 1: the prior's quantiles at the cells' centres. */
export function gridQuantiles(size: number): number[] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`grid size must be a positive integer, got ${size}`);
  return Array.from({ length: size }, (_, i) => standardNormalQuantile((i + 0.5) / size));
}

/** The grid's codes: z₁ grows left to right, z₂ bottom to top (a plot's axes). */
export function latentGridCodes(size: number): { values: number[]; codes: Float32Array } {
  const values = gridQuantiles(size);
  const codes = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      codes[(r * size + c) * 2] = values[c];
      codes[(r * size + c) * 2 + 1] = values[size - 1 - r];
    }
  }
  return { values, codes };
}

/** Decodes the size × size grid of a 2-D latent space (`decode` takes [n, 2] codes). */
export function decodeLatentGrid(options: {
  decode: Decode;
  imageShape: readonly [number, number, number];
  size?: number;
}): LatentGrid {
  const { decode, imageShape, size = 20 } = options;
  const { values, codes } = latentGridCodes(size);
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  const images = decodeInBatches(codes, size * size, 2, pixels, decode);
  return { size, values, codes, images, imageShape };
}

/** The decoded grid as one picture, no padding between cells (the manifold reads as one sheet). */
export function latentGridImage(grid: LatentGrid, options: GridOptions = {}): RgbImage {
  const [h, w, c] = grid.imageShape;
  const pixels = h * w * c;
  const cells = Array.from({ length: grid.size }, (_, r) =>
    Array.from({ length: grid.size }, (_, col) => {
      const i = r * grid.size + col;
      return { data: grid.images.subarray(i * pixels, (i + 1) * pixels), height: h, width: w, channels: c };
    }),
  );
  return imageGrid(cells, { padding: 0, ...options });
}

/**
 * Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation (relative error < 1.2e-9,
 * far below what a picture's coordinates need).
 */
export function standardNormalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    throw new RangeError(`a probability in [0, 1] is needed, got ${p}`);
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    return (
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    );
  }
  // the upper tail by symmetry
  return -standardNormalQuantile(1 - p);
}
