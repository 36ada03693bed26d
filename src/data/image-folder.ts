import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Rng } from '../engine/rng.ts';
import { integerValues, readArrayFile } from '../io/array-file.ts';
import { InputError } from '../io/input-error.ts';
import { decodePng, readPngHeader } from '../io/png.ts';
import { type GroundTruthData, observationArray } from './ground-truth.ts';

/**
 * A finite set of images, each with a row of discrete factors (labels): the user's own images (a folder
 * of PNGs or an .npy) and the real datasets (MNIST, Fashion-MNIST) all become GroundTruthData through
 * `imageSetData`. A factor row may belong to many images (a digit label) or to one (a full grid).
 */
export interface ImageSet {
  /** [count, h, w, c] row-major: bytes (grey = byte / 255) or floats in [0, 1] */
  images: Uint8Array | Float32Array;
  /** [h, w, c] */
  shape: readonly [number, number, number];
  count: number;
  /** [count, k] factor indices, row-major */
  factors: Int32Array;
  factorNames: readonly string[];
  /** factor j takes values 0 .. factorSizes[j] - 1 */
  factorSizes: readonly number[];
}

/**
 * Pixels as they are (grey values), or binarised: `fixed` sets a pixel to 1 where its grey value is at
 * least 0.5, `stochastic` draws it from Bernoulli(grey) with the rng of each draw (a new image each time).
 */
export type Binarization = 'fixed' | 'stochastic';

/** GroundTruthData over a finite set of images; `numObservations` is the set's size. */
export interface ImageSetData extends GroundTruthData {
  readonly numObservations: number;
}

const GREY_OF_BYTE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * The set as GroundTruthData. sampleFactors draws the factor rows of uniformly random images (so every
 * row drawn exists); sampleObservationsFromFactors draws, for each row, a uniformly random image with
 * exactly those factors (a row no image has is an InputError: metrics that fix one factor and draw the
 * others need the factors to be a full grid).
 */
export function imageSetData(
  name: string,
  set: ImageSet,
  { binarize }: { binarize?: Binarization } = {},
): ImageSetData {
  const { images, shape, count, factors, factorNames, factorSizes } = set;
  const k = factorSizes.length;
  const pixels = shape[0] * shape[1] * shape[2];
  checkImageSet(name, set);
  const keyOf = (rows: ArrayLike<number>, i: number) => {
    let key = 0;
    for (let j = 0; j < k; j++) key = key * factorSizes[j] + rows[i * k + j];
    return key;
  };
  // the images of each factor row, by the row's mixed-radix key
  const lists = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const key = keyOf(factors, i);
    const list = lists.get(key);
    if (list) list.push(i);
    else lists.set(key, [i]);
  }
  const groups = new Map<number, Int32Array>();
  for (const [key, list] of lists) groups.set(key, Int32Array.from(list));
  const unique = groups.size === count;

  const checkRow = (rows: Int32Array, i: number) => {
    for (let j = 0; j < k; j++) {
      const v = rows[i * k + j];
      if (!Number.isInteger(v) || v < 0 || v >= factorSizes[j]) {
        throw new RangeError(
          `${name}: factor ${factorNames[j]} = ${v}, expected an integer in [0, ${factorSizes[j]})`,
        );
      }
    }
  };

  const copyImage = (image: number, out: Float32Array, offset: number, rng: Rng) => {
    const start = image * pixels;
    if (binarize === 'stochastic') {
      for (let p = 0; p < pixels; p++) out[offset + p] = rng.uniform() < greyAt(images, start + p) ? 1 : 0;
    } else if (binarize === 'fixed') {
      for (let p = 0; p < pixels; p++) out[offset + p] = greyAt(images, start + p) >= 0.5 ? 1 : 0;
    } else if (images instanceof Uint8Array) {
      for (let p = 0; p < pixels; p++) out[offset + p] = GREY_OF_BYTE[images[start + p]];
    } else {
      out.set(images.subarray(start, start + pixels), offset);
    }
  };

  return {
    name,
    factorNames,
    factorSizes,
    observationShape: shape,
    deterministic: unique && binarize !== 'stochastic',
    numObservations: count,
    sampleFactors(n: number, rng: Rng): Int32Array {
      const out = new Int32Array(n * k);
      for (let i = 0; i < n; i++) {
        const image = rng.int(count);
        out.set(factors.subarray(image * k, (image + 1) * k), i * k);
      }
      return out;
    },
    sampleObservationsFromFactors(rows: Int32Array, rng: Rng, target?: Float32Array): Float32Array {
      if (rows.length % k !== 0)
        throw new RangeError(`${name}: ${rows.length} factor values, expected rows of ${k}`);
      const n = rows.length / k;
      const out = observationArray(name, n * pixels, target);
      for (let i = 0; i < n; i++) {
        checkRow(rows, i);
        const group = groups.get(keyOf(rows, i));
        if (group === undefined) {
          const values = factorNames.map((f, j) => `${f}=${rows[i * k + j]}`).join(', ');
          throw new InputError(
            `${name}: no image has the factors ${values} (metrics that fix one factor need every combination of factor values to have an image)`,
          );
        }
        const image = group.length === 1 ? group[0] : group[rng.int(group.length)];
        copyImage(image, out, i * pixels, rng);
      }
      return out;
    },
  };
}

function greyAt(images: Uint8Array | Float32Array, i: number): number {
  return images instanceof Uint8Array ? GREY_OF_BYTE[images[i]] : images[i];
}

function checkImageSet(name: string, set: ImageSet): void {
  const { images, shape, count, factors, factorNames, factorSizes } = set;
  const k = factorSizes.length;
  if (images.length !== count * shape[0] * shape[1] * shape[2]) {
    throw new RangeError(
      `${name}: ${images.length} pixel values, expected ${count} images of ${shape.join('x')}`,
    );
  }
  if (factorNames.length !== k || factors.length !== count * k) {
    throw new RangeError(`${name}: ${factors.length} factor values, expected ${count} rows of ${k}`);
  }
  if (count === 0) throw new InputError(`${name}: no images (expected at least one)`);
  if (factorSizes.reduce((a, b) => a * b, 1) > Number.MAX_SAFE_INTEGER) {
    throw new InputError(
      `${name}: factor sizes [${factorSizes.join(', ')}] have too many combinations (at most 2^53)`,
    );
  }
}

/** The user's images: a folder of PNGs or an .npy/.npz of images, with optional factors. */
export interface ImageFolderOptions {
  /** a folder of .png files, or an .npy (also `.npz` or `.npz:NAME`) of [n,h,w] or [n,h,w,c] images */
  path: string;
  /** an .npy (or .npz) of [n] or [n,k] non-negative integer factors/labels, one row per image */
  factorsPath?: string;
  binarize?: Binarization;
}

/**
 * GroundTruthData of the user's images. Without factors every image gets the single dummy factor
 * `none` of size 1: training works, factor-based metrics are meaningless.
 */
export function createImageFolder({ path, factorsPath, binarize }: ImageFolderOptions): ImageSetData {
  const { images, shape, count } = isFolder(path) ? readPngFolder(path) : readImageArray(path);
  const factors = factorsPath
    ? readFactorArray(factorsPath, count)
    : { factors: new Int32Array(count), factorNames: ['none'], factorSizes: [1] };
  return imageSetData('images', { images, shape, count, ...factors }, { binarize });
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (err) {
    throw new InputError(`images ${path}: cannot read (${(err as Error).message})`);
  }
}

/** Natural order, as a file browser shows names: img2.png before img10.png. */
const byName = new Intl.Collator('en', { numeric: true }).compare;

/**
 * Every .png in `dir` (natural name order), all the same size; grey (1 channel) when every pixel of every
 * image has R = G = B, else RGB. Alpha is dropped.
 */
/** The most RGB bytes a folder of PNGs may decode to (1 GiB). */
const MAX_FOLDER_BYTES = 2 ** 30;

export function readPngFolder(dir: string): Pick<ImageSet, 'images' | 'shape' | 'count'> {
  const names = readdirSync(dir)
    .filter((f) => f.toLowerCase().endsWith('.png'))
    .sort(byName);
  if (names.length === 0)
    throw new InputError(`images ${dir}: the folder has no .png files (expected one image per file)`);
  // every image must declare the first one's size, checked from its header before it is decoded
  let first: { path: string; width: number; height: number } | undefined;
  const decoded = names.map((file) => {
    const path = join(dir, file);
    let bytes: Buffer;
    let header: { width: number; height: number };
    try {
      bytes = readFileSync(path);
      header = readPngHeader(bytes);
    } catch (err) {
      throw new InputError(`images ${path}: not a readable PNG (${(err as Error).message})`);
    }
    if (first && (header.width !== first.width || header.height !== first.height)) {
      throw new InputError(
        `images ${path}: ${header.width}x${header.height} pixels, expected ${first.width}x${first.height} like ${first.path} (every image must have the same size)`,
      );
    }
    const total = names.length * header.width * header.height * 3;
    if (first == null && total > MAX_FOLDER_BYTES) {
      throw new InputError(
        `images ${dir}: ${names.length} images of ${header.width}x${header.height} would take ${total} bytes, more than the ${MAX_FOLDER_BYTES} (1 GiB) read at most`,
      );
    }
    first ??= { path, ...header };
    try {
      return { path, ...decodePng(bytes) };
    } catch (err) {
      throw new InputError(`images ${path}: not a readable PNG (${(err as Error).message})`);
    }
  });
  const { width, height } = decoded[0];
  for (const image of decoded) {
    if (image.width !== width || image.height !== height) {
      throw new InputError(
        `images ${image.path}: ${image.width}x${image.height} pixels, expected ${width}x${height} like ${decoded[0].path} (every image must have the same size)`,
      );
    }
  }
  const grey = decoded.every(({ rgb }) => {
    for (let i = 0; i < rgb.length; i += 3) if (rgb[i] !== rgb[i + 1] || rgb[i] !== rgb[i + 2]) return false;
    return true;
  });
  const channels = grey ? 1 : 3;
  const size = width * height * channels;
  const images = new Uint8Array(decoded.length * size);
  decoded.forEach(({ rgb }, n) => {
    if (!grey) images.set(rgb, n * size);
    else for (let i = 0; i < size; i++) images[n * size + i] = rgb[3 * i];
  });
  return { images, shape: [height, width, channels], count: decoded.length };
}

/**
 * Images from an .npy: uint8 (grey = byte / 255; bytes that are all 0 or 1, as in dSprites' imgs, are
 * those values) or float32/float64 in [0, 1], [n,h,w] or [n,h,w,c].
 */
export function readImageArray(spec: string): Pick<ImageSet, 'images' | 'shape' | 'count'> {
  const array = readArrayFile(spec, 'images');
  const { shape, dtype } = array;
  const dims = `[${shape.join(', ')}]`;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new InputError(
      `images ${spec}: shape ${dims}, expected [n, height, width] or [n, height, width, channels]`,
    );
  }
  const channels = shape[3] ?? 1;
  if (channels !== 1 && channels !== 3) {
    throw new InputError(
      `images ${spec}: ${channels} channels in shape ${dims}, expected 1 (grey) or 3 (RGB)`,
    );
  }
  let images: Uint8Array | Float32Array;
  if (dtype === 'uint8') {
    images = array.data as Uint8Array;
    // dSprites' imgs (and our `untangle data dsprites`) store pixels as bytes 0/1, not 0..255: scaled in
    // place, so a 3 GB array stays 3 GB
    if (images.every((v) => v <= 1)) for (let i = 0; i < images.length; i++) images[i] *= 255;
  } else if (dtype === 'float32' || dtype === 'float64') {
    images = array.data instanceof Float32Array ? array.data : Float32Array.from(array.data as Float64Array);
    const bad = images.findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) {
      throw new InputError(
        `images ${spec}: value ${images[bad]} at flat index ${bad}, expected floats in [0, 1] (or uint8 bytes)`,
      );
    }
  } else {
    throw new InputError(
      `images ${spec}: dtype ${dtype}, expected uint8 (0..255) or float32/float64 in [0, 1]`,
    );
  }
  return { images, shape: [shape[1], shape[2], channels], count: shape[0] };
}

/** Factor rows from an .npy of [n] or [n, k] non-negative integers; factor j's size is its largest value + 1. */
export function readFactorArray(
  spec: string,
  count: number,
): Pick<ImageSet, 'factors' | 'factorNames' | 'factorSizes'> {
  const array = readArrayFile(spec, 'factors');
  const { shape } = array;
  if ((shape.length !== 1 && shape.length !== 2) || shape[0] !== count) {
    throw new InputError(
      `factors ${spec}: shape [${shape.join(', ')}], expected [${count}] or [${count}, k] (one row per image)`,
    );
  }
  const k = shape[1] ?? 1;
  if (k === 0)
    throw new InputError(
      `factors ${spec}: shape [${shape.join(', ')}] has no factors, expected k >= 1 columns`,
    );
  const factors = integerValues(array, `factors ${spec}`);
  const negative = factors.findIndex((v) => v < 0);
  if (negative >= 0) {
    throw new InputError(
      `factors ${spec}: value ${factors[negative]} at flat index ${negative}, expected non-negative factor indices`,
    );
  }
  const factorSizes = Array.from({ length: k }, () => 1);
  for (let i = 0; i < factors.length; i++) factorSizes[i % k] = Math.max(factorSizes[i % k], factors[i] + 1);
  const factorNames = shape.length === 1 ? ['label'] : Array.from({ length: k }, (_, j) => `factor${j}`);
  return { factors, factorNames, factorSizes };
}
