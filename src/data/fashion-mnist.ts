import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readIdx } from '../io/idx.ts';
import { InputError } from '../io/input-error.ts';
import type { Binarization, ImageSetData } from './image-folder.ts';
import { type LabelledImages, labelledImagesData } from './mnist.ts';

/** Where Debian's package `dataset-fashion-mnist` installs the four IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;
const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

const cache = new Map<string, LabelledImages>();

/**
 * Fashion-MNIST (Xiao et al. 2017, MIT): 60,000 training then 10,000 test images, 28x28 grey, read from
 * the IDX files in `dir` (each plain or .gz) and kept after the first read.
 */
export function loadFashionMnist(dir = FASHION_MNIST_DIR): LabelledImages {
  const hit = cache.get(dir);
  if (hit) return hit;
  const parts = (['train', 'test'] as const).map((split) => {
    const [imageFile, labelFile] = FILES[split].map((name) => findFile(dir, name));
    const images = readIdx(imageFile, {
      dtype: 'uint8',
      ndim: 3,
      shape: [null, 28, 28],
      describe: '[images, 28 rows, 28 columns]',
    });
    const labels = readIdx(labelFile, { dtype: 'uint8', ndim: 1, describe: '[images] of labels 0..9' });
    if (images.shape[1] !== 28 || images.shape[2] !== 28) {
      throw new InputError(`${imageFile}: images of ${images.shape[1]}x${images.shape[2]}, expected 28x28`);
    }
    if (labels.shape[0] !== images.shape[0]) {
      throw new InputError(
        `${labelFile}: ${labels.shape[0]} labels for the ${images.shape[0]} images of ${imageFile}`,
      );
    }
    const bad = labels.data.findIndex((v) => v > 9);
    if (bad >= 0)
      throw new InputError(`${labelFile}: label ${labels.data[bad]} at index ${bad}, expected 0..9`);
    return {
      images: images.data as Uint8Array,
      labels: Int32Array.from(labels.data),
      count: images.shape[0],
    };
  });
  const [train, test] = parts;
  const images = new Uint8Array(train.images.length + test.images.length);
  images.set(train.images);
  images.set(test.images, train.images.length);
  const labels = new Int32Array(train.count + test.count);
  labels.set(train.labels);
  labels.set(test.labels, train.count);
  const set: LabelledImages = {
    images,
    labels,
    shape: [28, 28, 1],
    count: train.count + test.count,
    classNames: FASHION_MNIST_CLASSES,
    train: Int32Array.from({ length: train.count }, (_, i) => i),
    test: Int32Array.from({ length: test.count }, (_, i) => train.count + i),
  };
  cache.set(dir, set);
  return set;
}

function findFile(dir: string, name: string): string {
  for (const file of [join(dir, `${name}.gz`), join(dir, name)]) if (existsSync(file)) return file;
  const hint =
    dir === FASHION_MNIST_DIR
      ? 'install it with: apt-get install dataset-fashion-mnist'
      : `or leave the path unset to use ${FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)`;
  throw new InputError(
    `fashion-mnist: ${join(dir, name)}(.gz) not found, expected the Fashion-MNIST IDX files in ${dir}; ${hint}`,
  );
}

/** Fashion-MNIST as GroundTruthData: one factor, the class label (10 values), 28x28x1 images in [0, 1]. */
export function createFashionMnist({
  path,
  binarize,
}: {
  path?: string;
  binarize?: Binarization;
} = {}): ImageSetData {
  return labelledImagesData('fashion-mnist', loadFashionMnist(path ?? FASHION_MNIST_DIR), binarize);
}
