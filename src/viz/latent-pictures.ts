import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FASHION_MNIST_CLASSES } from '../data/fashion-mnist.ts';
import { type GroundTruthData, sampleBatch } from '../data/ground-truth.ts';
import { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { writeNpy } from '../io/npy.ts';
import { writePngAtomic } from '../io/png.ts';
import type { Model } from '../models/model.ts';
import { EMBEDDING_DEFAULTS, type EmbeddingOptions, embedCodes } from './embedding-map.ts';
import { decodeLatentGrid, latentGridImage } from './latent-grid.ts';
import { labelledPoints, scatterSvg } from './latent-scatter.ts';
import { svgToPng } from './vega-render.ts';

/**
 * The lecture's pictures of a latent space: for a 2-D latent the space decoded on a grid
 * (latent-grid.png) and the codes of labelled images scattered by class (latent-scatter.svg/.png); for a
 * wider latent a UMAP map of those codes by class (latent-map.svg/.png). The codes and labels are saved
 * beside them (latent-codes.npy, latent-labels.npy, latent-map.npy) for plotting elsewhere.
 */
export interface LatentPictureOptions {
  /** labelled images encoded for the scatter (and the pool the map's points are the first of) */
  points: number;
  /** codes mapped by UMAP (its cost grows faster than linearly: ~4 s for 1,000 on one core) */
  mapPoints: number;
  /** grid points per axis */
  gridSize: number;
  embedding: Partial<EmbeddingOptions>;
}
export const LATENT_PICTURE_DEFAULTS: LatentPictureOptions = {
  points: 2000,
  mapPoints: 1000,
  gridSize: 20,
  embedding: EMBEDDING_DEFAULTS,
};

/** At most this many classes get a colour each (Vega's category20). */
const MAX_CLASSES = 20;
/** Salts the run's seed so these draws are independent of the other pictures'. */
const LATENT_PICTURE_SALT = 0x6c617465;

export interface ClassFactor {
  /** the legend's title */
  name: string;
  classNames: string[];
}

/**
 * The class a dataset's images are coloured by: its one factor, when it has one with 2..20 values (MNIST's
 * digit, Fashion-MNIST's class, an image folder's label); none for multi-factor data like dSprites.
 */
export function classFactor(data: GroundTruthData): ClassFactor | undefined {
  if (data.factorSizes.length !== 1) return undefined;
  const size = data.factorSizes[0];
  if (size < 2 || size > MAX_CLASSES) return undefined;
  if (data.name.startsWith('fashion-mnist')) return { name: 'class', classNames: [...FASHION_MNIST_CLASSES] };
  const name = data.name.startsWith('mnist') ? 'digit' : data.factorNames[0];
  return { name, classNames: Array.from({ length: size }, (_, i) => String(i)) };
}

/** The labelled images the pictures show (the one factor as label): `n` drawn by a stream of the run's seed. */
export function latentSample(
  data: GroundTruthData,
  n: number,
  seed: number,
): { x: Float32Array; labels: Int32Array } {
  const rng = new Rng((seed ^ LATENT_PICTURE_SALT) >>> 0);
  const { x, factors } = sampleBatch(data, n, rng);
  return { x, labels: factors };
}

/** Posterior means E[z|x] (the continuous latents) of n images, in batches. */
export function encodeMeans(
  model: Model,
  x: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  batchSize = 100,
): Float32Array {
  const means = new Float32Array(n * model.latentDim);
  const pixels = shape[0] * shape[1] * shape[2];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    tf.tidy(() => {
      const batch = tf.tensor4d(x.subarray(start * pixels, (start + count) * pixels), [count, ...shape]);
      means.set(model.encode(batch).mean.dataSync(), start * model.latentDim);
    });
  }
  return means;
}

/** Decoded images (Bernoulli means in [0, 1]) of n codes of the continuous latents, in batches. */
export function decodeCodes(model: Model, codes: Float32Array, n: number, batchSize = 100): Float32Array {
  const z = model.latentDim;
  const chunks: Float32Array[] = [];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    chunks.push(
      tf.tidy(
        () =>
          model
            .decode(tf.tensor2d(codes.subarray(start * z, (start + count) * z), [count, z]))
            .dataSync() as Float32Array,
      ),
    );
  }
  const out = new Float32Array(chunks.reduce((s, c) => s + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Writes whichever latent pictures fit the model and data into runDir; returns the files written. */
export async function writeLatentPictures(
  model: Model,
  data: GroundTruthData,
  runDir: string,
  seed: number,
  options: Partial<LatentPictureOptions> = {},
): Promise<string[]> {
  const o = { ...LATENT_PICTURE_DEFAULTS, ...options };
  const shape = data.observationShape;
  const latent = model.latentDim;
  const written: string[] = [];
  const path = (name: string) => {
    written.push(join(runDir, name));
    return join(runDir, name);
  };
  if (latent === 2 && !model.discrete) {
    const grid = decodeLatentGrid({
      decode: (codes, n) => decodeCodes(model, codes, n),
      imageShape: shape,
      size: o.gridSize,
    });
    await writePngAtomic(path('latent-grid.png'), latentGridImage(grid));
  }
  const classes = classFactor(data);
  if (!classes || latent < 2) return written;

  const { x, labels } = latentSample(data, o.points, seed);
  const means = encodeMeans(model, x, o.points, shape);
  writeNpy(path('latent-codes.npy'), { dtype: 'float32', shape: [o.points, latent], data: means });
  writeNpy(path('latent-labels.npy'), { dtype: 'int32', shape: [o.points], data: labels });
  if (latent === 2) {
    const svg = await scatterSvg(labelledPoints(means, labels, classes.classNames), {
      title: `E[z|x] of ${o.points} ${data.name} images`,
      legendTitle: classes.name,
      classNames: classes.classNames,
    });
    await writeFileAtomic(path('latent-scatter.svg'), svg);
    await writeFileAtomic(path('latent-scatter.png'), svgToPng(svg));
    return written;
  }
  const n = Math.min(o.mapPoints, o.points);
  const map = embedCodes(
    means.subarray(0, n * latent),
    n,
    latent,
    (seed ^ LATENT_PICTURE_SALT) >>> 0,
    o.embedding,
  );
  writeNpy(path('latent-map.npy'), { dtype: 'float64', shape: [n, 2], data: map });
  const svg = await scatterSvg(labelledPoints(map, labels.subarray(0, n), classes.classNames), {
    title: `UMAP of E[z|x] (${latent} dims) of ${n} ${data.name} images`,
    xTitle: 'UMAP 1',
    yTitle: 'UMAP 2',
    legendTitle: classes.name,
    classNames: classes.classNames,
  });
  await writeFileAtomic(path('latent-map.svg'), svg);
  await writeFileAtomic(path('latent-map.png'), svgToPng(svg));
  return written;
}
