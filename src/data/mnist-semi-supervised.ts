import type { Rng } from '../engine/rng.ts';
import { Rng as SeededRng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { greyImages, type SplitImageData } from './held-out.ts';
import { imageSetData } from './image-folder.ts';
import { type LabelledImages, loadMnist } from './mnist.ts';

/** Labelled digits when the variant does not say: the smallest setting of Kingma et al. 2014, Table 1. */
export const DEFAULT_LABELLED = 100;
/** Each batch row comes from the labelled digits with this probability (equal labelled/unlabelled halves). */
export const LABELLED_SHARE = 0.5;

/** The semi-supervised MNIST: which digits' labels are observed, recorded with the data. */
export interface SemiSupervisedData extends SplitImageData {
  /** indices (into the 10,000 digits) of the digits whose label is observed, ascending */
  readonly labelledIndices: Int32Array;
}

/**
 * `count` training digits whose labels are observed: class-balanced (⌊count/K⌋ per class, the first
 * count mod K classes one more, as Kingma et al. 2014 draw theirs), each class's digits picked by a
 * shuffle seeded by `seed`; so the run's seed fixes the subset.
 */
export function labelledSubset(
  labels: ArrayLike<number>,
  train: ArrayLike<number>,
  count: number,
  classes: number,
  seed: number,
): Int32Array {
  if (!Number.isInteger(count) || count < classes) {
    throw new InputError(
      `labelled digits: ${count} asked for, expected a whole number of at least ${classes} (one per class)`,
    );
  }
  if (count > train.length) {
    throw new InputError(
      `labelled digits: ${count} asked for, but the training split has only ${train.length} digits`,
    );
  }
  const byClass = Array.from({ length: classes }, () => [] as number[]);
  for (let i = 0; i < train.length; i++) byClass[labels[train[i]]].push(train[i]);
  const rng = new SeededRng(seed ^ 0x1abe11ed);
  const chosen: number[] = [];
  byClass.forEach((members, c) => {
    const want = Math.floor(count / classes) + (c < count % classes ? 1 : 0);
    if (want > members.length) {
      throw new InputError(
        `labelled digits: ${want} of class ${c} asked for, but the training split has only ${members.length}`,
      );
    }
    chosen.push(...rng.shuffle([...members]).slice(0, want));
  });
  return Int32Array.from(chosen).sort();
}

/**
 * MNIST for the semi-supervised VAE: the 8,000 training digits with factors [label, labelled], where
 * `labelled` is 1 for the `count` digits whose label the model may read (a seeded, class-balanced
 * subset) and 0 for the others, whose label a loss must not use; the 2,000 test digits are held out.
 * A batch row comes from the labelled digits with probability LABELLED_SHARE (half of each batch, as
 * the equal labelled/unlabelled minibatches of the M2 code), else from the unlabelled ones.
 */
export function createSemiSupervisedMnist(count: number, seed: number): SemiSupervisedData {
  return semiSupervisedData('mnist-semi', loadMnist(), count, seed);
}

export function semiSupervisedData(
  name: string,
  set: LabelledImages,
  count: number,
  seed: number,
): SemiSupervisedData {
  const classes = set.classNames.length;
  const labelledIndices = labelledSubset(set.labels, set.train, count, classes, seed);
  const isLabelled = new Set(labelledIndices);
  const pixels = set.shape[0] * set.shape[1] * set.shape[2];
  const n = set.train.length;
  const images = new Uint8Array(n * pixels);
  const factors = new Int32Array(n * 2);
  const labelledRows: number[] = [];
  const unlabelledRows: number[] = [];
  set.train.forEach((image, i) => {
    images.set(set.images.subarray(image * pixels, (image + 1) * pixels), i * pixels);
    factors[2 * i] = set.labels[image];
    factors[2 * i + 1] = isLabelled.has(image) ? 1 : 0;
    (isLabelled.has(image) ? labelledRows : unlabelledRows).push(i);
  });
  const base = imageSetData(name, {
    images,
    shape: set.shape,
    count: n,
    factors,
    factorNames: ['label', 'labelled'],
    factorSizes: [classes, 2],
  });
  const share = unlabelledRows.length === 0 ? 1 : LABELLED_SHARE;
  const testFactors = new Int32Array(set.test.length * 2);
  set.test.forEach((image, i) => {
    testFactors[2 * i] = set.labels[image];
  });
  return {
    ...base,
    labelledIndices,
    training: {
      x: greyImages(
        images,
        pixels,
        Array.from({ length: n }, (_, i) => i),
      ),
      factors,
      count: n,
    },
    heldOut: { x: greyImages(set.images, pixels, set.test), factors: testFactors, count: set.test.length },
    sampleFactors(rows: number, rng: Rng): Int32Array {
      const out = new Int32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        const pool = rng.uniform() < share ? labelledRows : unlabelledRows;
        const i = pool[rng.int(pool.length)];
        out[2 * r] = factors[2 * i];
        out[2 * r + 1] = factors[2 * i + 1];
      }
      return out;
    },
  };
}

/** The variant of `mnist-semi` is the number of labelled digits. */
export function labelledCountOfVariant(variant?: string): number {
  if (variant == null) return DEFAULT_LABELLED;
  if (!/^\d+$/.test(variant)) {
    throw new InputError(
      `dataset mnist-semi: variant "${variant}" is not a number of labelled digits (e.g. --variant 100)`,
    );
  }
  return Number(variant);
}
