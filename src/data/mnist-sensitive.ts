import { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { greyImages, type SplitImageData } from './held-out.ts';
import { imageSetData } from './image-folder.ts';
import { type LabelledImages, loadMnist } from './mnist.ts';

/** How often s = [digit < 5] when the variant does not say. */
export const DEFAULT_CORRELATION = 0.9;
/** The brightened background of s = 1: grey' = BACKGROUND + (1 − BACKGROUND)·grey. */
export const BACKGROUND = 0.3;
// the s assignment is part of the dataset, not of a run: every run (fair or plain) sees the same data
const ASSIGNMENT_SEED = 0x5e251;

/**
 * MNIST with a synthetic sensitive attribute s ∈ {0, 1}, a brightened background, correlated with the
 * digit: within each digit class exactly round(p·n) digits get s = 1, p = `correlation` for digits 0–4
 * and 1 − `correlation` for 5–9, so s agrees with [digit < 5] for that share of the digits (0.5: s is
 * independent of the label). Factors [label, s]; the 8,000 training digits are the data, the 2,000 test
 * digits are held out.
 */
export function createSensitiveMnist(correlation = DEFAULT_CORRELATION): SplitImageData {
  return sensitiveData('mnist-sensitive', loadMnist(), correlation);
}

/** s of every digit of the set (see createSensitiveMnist). */
export function sensitiveAttribute(labels: Int32Array, classes: number, correlation: number): Int32Array {
  const rng = new Rng(ASSIGNMENT_SEED);
  const s = new Int32Array(labels.length);
  for (let c = 0; c < classes; c++) {
    const members = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) members.push(i);
    const p = c < classes / 2 ? correlation : 1 - correlation;
    const ones = Math.round(p * members.length);
    for (const i of rng.shuffle(members).slice(0, ones)) s[i] = 1;
  }
  return s;
}

export function sensitiveData(name: string, set: LabelledImages, correlation: number): SplitImageData {
  if (!(correlation >= 0 && correlation <= 1)) {
    throw new InputError(`dataset ${name}: correlation ${correlation}, expected a share in [0, 1]`);
  }
  const classes = set.classNames.length;
  const s = sensitiveAttribute(set.labels, classes, correlation);
  const pixels = set.shape[0] * set.shape[1] * set.shape[2];
  const lift = BACKGROUND * 255; // grey' = lift + (255 − lift)·grey: 255 stays 255, no byte overflow
  const images = new Uint8Array(set.images);
  for (let i = 0; i < set.count; i++) {
    if (s[i] !== 1) continue;
    for (let p = i * pixels; p < (i + 1) * pixels; p++)
      images[p] = Math.round(lift + ((255 - lift) * images[p]) / 255);
  }
  const rows = (indices: Int32Array) => {
    const factors = new Int32Array(indices.length * 2);
    indices.forEach((image, i) => {
      factors[2 * i] = set.labels[image];
      factors[2 * i + 1] = s[image];
    });
    return factors;
  };
  const train = rows(set.train);
  const trainImages = new Uint8Array(set.train.length * pixels);
  set.train.forEach((image, i) => {
    trainImages.set(images.subarray(image * pixels, (image + 1) * pixels), i * pixels);
  });
  const base = imageSetData(name, {
    images: trainImages,
    shape: set.shape,
    count: set.train.length,
    factors: train,
    factorNames: ['label', 's'],
    factorSizes: [classes, 2],
  });
  return {
    ...base,
    training: { x: greyImages(images, pixels, set.train), factors: train, count: set.train.length },
    heldOut: { x: greyImages(images, pixels, set.test), factors: rows(set.test), count: set.test.length },
  };
}

/** The variant of `mnist-sensitive` is the correlation, e.g. 0.9. */
export function correlationOfVariant(variant?: string): number {
  if (variant == null) return DEFAULT_CORRELATION;
  const value = Number(variant);
  if (variant.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InputError(
      `dataset mnist-sensitive: variant "${variant}" is not a correlation in [0, 1] (e.g. --variant 0.9)`,
    );
  }
  return value;
}
