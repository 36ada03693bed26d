/**
 * How far reconstructions are from their images, in the units both a linear Gaussian model (factor
 * analysis) and a Bernoulli VAE can be judged by: squared error, per pixel and per image, and the
 * Bernoulli cross-entropy per image — the VAE's `reconstruction` term, −Σ x log p + (1 − x) log(1 − p).
 * With grey (not binary) targets the cross-entropy includes the images' own entropy, so it is not 0 even
 * for a perfect reconstruction; compare it between models, not against 0.
 */
export interface ReconstructionError {
  meanSquaredErrorPerPixel: number;
  squaredErrorPerImage: number;
  bernoulliCrossEntropyPerImage: number;
}

/** Reconstructions outside (0, 1) (a linear model's) are clipped to [ε, 1 − ε] for the cross-entropy. */
export const CROSS_ENTROPY_EPSILON = 1e-6;

/** The errors of n reconstructions of rows [n, d] of images in [0, 1]. */
export function reconstructionError(
  images: ArrayLike<number>,
  reconstructions: ArrayLike<number>,
  n: number,
  d: number,
): ReconstructionError {
  if (images.length !== n * d || reconstructions.length !== n * d) {
    throw new RangeError(
      `reconstruction error of ${n} images of ${d} values needs ${n * d} of each, got ${images.length} images and ${reconstructions.length} reconstructions`,
    );
  }
  let squared = 0;
  let crossEntropy = 0;
  for (let i = 0; i < n * d; i++) {
    const x = images[i];
    const r = reconstructions[i];
    squared += (r - x) ** 2;
    const p = Math.min(1 - CROSS_ENTROPY_EPSILON, Math.max(CROSS_ENTROPY_EPSILON, r));
    crossEntropy -= x * Math.log(p) + (1 - x) * Math.log(1 - p);
  }
  return {
    meanSquaredErrorPerPixel: squared / (n * d),
    squaredErrorPerImage: squared / n,
    bernoulliCrossEntropyPerImage: crossEntropy / n,
  };
}
