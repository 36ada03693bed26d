import type { GroundTruthData } from './ground-truth.ts';
import type { ImageSetData } from './image-folder.ts';

/** Images kept out of training, with their factor rows: where classifiers on the codes are scored. */
export interface HeldOutImages {
  /** [count, h, w, c] in [0, 1] */
  x: Float32Array;
  /** [count, numFactors], the data's factor order */
  factors: Int32Array;
  count: number;
}

/**
 * A finite training set that keeps a test split aside (the MNIST wrappers for the semi-supervised and
 * the fair VAE): the training images themselves, and the held-out ones.
 */
export interface SplitImageData extends ImageSetData {
  readonly training: HeldOutImages;
  readonly heldOut: HeldOutImages;
}

export function isSplitImageData(data: GroundTruthData): data is SplitImageData {
  const split = data as Partial<SplitImageData>;
  return split.heldOut != null && split.training != null;
}

/** The images at `indices` of an [count, pixels] byte array as floats in [0, 1]. */
export function greyImages(images: Uint8Array, pixels: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * pixels);
  for (let i = 0; i < indices.length; i++) {
    const start = indices[i] * pixels;
    for (let p = 0; p < pixels; p++) out[i * pixels + p] = images[start + p] / 255;
  }
  return out;
}
