import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type GroundTruthData, sampleBatch } from '../data/ground-truth.ts';
import { Rng } from '../engine/rng.ts';
import { gaussianKlPerDim } from '../models/gaussian-vae.ts';
import type { Model } from '../models/model.ts';
import { writeGifAtomic } from './gif.ts';
import { reconstructionGrid, samplesGrid } from './image-grid.ts';
import { writePngAtomic } from './png.ts';
import {
  type Decode,
  decodeInBatches,
  decodeTraversal,
  traversalFrames,
  traversalGrid,
} from './traversal.ts';

export interface PictureOptions {
  /** which of the sampled images the traversal starts from */
  seedIndex?: number;
  steps?: number;
  range?: number;
}

/** Mean codes and KL per dim of n images, encoded in batches of 64. */
function encodeMany(model: Model, x: Float32Array, n: number, shape: readonly [number, number, number]) {
  const means = new Float32Array(n * model.latentDim);
  const kl = new Float64Array(model.latentDim);
  const pixels = shape[0] * shape[1] * shape[2];
  for (let start = 0; start < n; start += 64) {
    const count = Math.min(64, n - start);
    tf.tidy(() => {
      const { mean, logVar } = model.encode(
        tf.tensor4d(x.subarray(start * pixels, (start + count) * pixels), [count, ...shape]),
      );
      means.set(mean.dataSync(), start * model.latentDim);
      gaussianKlPerDim(mean, logVar)
        .dataSync()
        .forEach((v, d) => {
          kl[d] += (v * count) / n;
        });
    });
  }
  return { means, kl: Array.from(kl) };
}

/**
 * The pictures people judge a model by, written into the run folder: traversal.png (one row per dim,
 * sorted by KL, columns μ ± 2), traversal.gif, reconstructions.png, samples.png. Draws come from a
 * stream seeded by the run's seed, so the same run always gets the same pictures.
 */
export async function writeRunPictures(
  model: Model,
  data: GroundTruthData,
  runDir: string,
  seed: number,
  options: PictureOptions = {},
): Promise<string[]> {
  const { seedIndex = 0, steps = 10, range = 2 } = options;
  const rng = new Rng(seed).fork();
  const shape = data.observationShape;
  const z = model.latentDim;
  const decode: Decode = (codes, n) =>
    tf.tidy(() => model.decode(tf.tensor2d(codes, [n, z])).dataSync() as Float32Array);
  const n = 256;
  const { x } = sampleBatch(data, n, rng);
  const { means, kl } = encodeMany(model, x, n, shape);
  const dims = kl
    .map((value, dim) => ({ value, dim }))
    .sort((a, b) => b.value - a.value)
    .map((d) => d.dim);
  const mu = means.slice((seedIndex % n) * z, ((seedIndex % n) + 1) * z);
  const traversal = decodeTraversal({ mu, decode, imageShape: shape, dims, steps, range });
  // a blue border: a decoder early in training paints mid-grey, which a grey border would swallow
  const grid = { background: [40 / 255, 70 / 255, 140 / 255] } as const;
  const written: string[] = [];
  const save = async (name: string, write: (path: string) => Promise<void>) => {
    await write(join(runDir, name));
    written.push(join(runDir, name));
  };
  await save('traversal.png', (p) => writePngAtomic(p, traversalGrid(traversal, grid)));
  await save('traversal.gif', (p) =>
    writeGifAtomic(p, traversalFrames(traversal, { ...grid, upscale: 2 }), 120),
  );
  // 64 originals and their reconstructions (decoded posterior means), 8 pairs to a row
  const shown = 64;
  const pixels = shape[0] * shape[1] * shape[2];
  const recon = decodeInBatches(means.subarray(0, shown * z), shown, z, pixels, decode);
  const originals = { data: x.subarray(0, shown * pixels), shape: [shown, ...shape] } as const;
  await save('reconstructions.png', (p) =>
    writePngAtomic(
      p,
      reconstructionGrid(originals, { data: recon, shape: [shown, ...shape] }, shown, 8, grid),
    ),
  );
  const prior = rng.fillNormal(new Float32Array(64 * z));
  const samples = decodeInBatches(prior, 64, z, pixels, decode);
  await save('samples.png', (p) =>
    writePngAtomic(p, samplesGrid({ data: samples, shape: [64, ...shape] }, 64, 8, grid)),
  );
  return written;
}
