import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type GroundTruthData, sampleBatch } from '../data/ground-truth.ts';
import { Rng } from '../engine/rng.ts';
import { writePngAtomic } from '../io/png.ts';
import { gaussianKlPerDim } from '../models/gaussian-vae.ts';
import type { Model } from '../models/model.ts';
import { writeClassTraversals } from './class-traversal.ts';
import { writeGifAtomic } from './gif.ts';
import { reconstructionGrid, samplesGrid } from './image-grid.ts';
import { writeLatentPictures } from './latent-pictures.ts';
import { gridCentres, withColumnLabels, withRowLabels } from './picture-labels.ts';
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
  /** a line under a dim's row label, e.g. the ground-truth factor it captures (`posX 0.72 · 89%`) */
  dimNotes?: Readonly<Record<number, string>>;
}

/** A traversal row's label: the dim, its KL and, where known, what it captures. */
export function dimLabel(dim: number, kl: number, note?: string): string[] {
  return [`z${dim} · KL ${kl.toFixed(2)}`, ...(note ? [note] : [])];
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
 * sorted by KL, columns μ ± 2), traversal.gif, reconstructions.png, samples.png, and where they fit
 * latent-grid.png, latent-scatter.svg or latent-map.svg (latent-pictures.ts). Draws come from a
 * stream seeded by the run's seed, so the same run always gets the same pictures.
 */
export async function writeRunPictures(
  model: Model,
  data: GroundTruthData,
  runDir: string,
  seed: number,
  options: PictureOptions = {},
): Promise<string[]> {
  const { seedIndex = 0, steps = 10, range = 2, dimNotes = {} } = options;
  const rng = new Rng(seed).fork();
  const shape = data.observationShape;
  const latent = model.latentDim;
  const sizes = model.discrete?.sizes ?? [];
  // a code is [continuous, one-hot of each discrete latent]; models without discrete latents have only z
  const z = latent + sizes.reduce((a, b) => a + b, 0);
  const decode: Decode = (codes, n) =>
    tf.tidy(() => {
      const all = tf.tensor2d(codes, [n, z]);
      if (!model.discrete) return model.decode(all).dataSync() as Float32Array;
      const [continuous, oneHot] = tf.split(all, [latent, z - latent], 1) as [tf.Tensor2D, tf.Tensor2D];
      return model.discrete.decode(continuous, oneHot).dataSync() as Float32Array;
    });
  const n = 256;
  const { x } = sampleBatch(data, n, rng);
  const encoded = encodeMany(model, x, n, shape);
  const { kl } = encoded;
  const means = withCategories(model, encoded.means, x, n, shape, (row) => argmaxOneHots(row, sizes));
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
  // every row (a frame's column in the GIF) says which dim it moves, its KL and what it captures
  const labels = dims.map((d) => dimLabel(d, kl[d], dimNotes[d]));
  const labelStyle = { background: grid.background };
  await save('traversal.png', (p) =>
    writePngAtomic(
      p,
      withRowLabels(traversalGrid(traversal, grid), labels, gridCentres(dims.length, shape[0]), labelStyle),
    ),
  );
  const frames = traversalFrames(traversal, { ...grid, upscale: 2 }).map((frame) =>
    withColumnLabels(frame, labels, gridCentres(dims.length, 2 * shape[1]), labelStyle),
  );
  await save('traversal.gif', (p) => writeGifAtomic(p, frames, 120));
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
  const prior = new Float32Array(64 * z);
  for (let i = 0; i < 64; i++) {
    rng.fillNormal(prior.subarray(i * z, i * z + latent));
    let offset = i * z + latent;
    for (const k of sizes) {
      prior[offset + rng.int(k)] = 1;
      offset += k;
    }
  }
  const samples = decodeInBatches(prior, 64, z, pixels, decode);
  await save('samples.png', (p) =>
    writePngAtomic(p, samplesGrid({ data: samples, shape: [64, ...shape] }, 64, 8, grid)),
  );
  if (model.discrete) {
    // one row per category of the first discrete latent, the same 8 continuous codes across a row
    const k = sizes[0];
    const codes = new Float32Array(k * 8 * z);
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < 8; i++) {
        const row = codes.subarray((c * 8 + i) * z, (c * 8 + i + 1) * z);
        row.set(means.subarray(i * z, (i + 1) * z));
        row.fill(0, latent, latent + k);
        row[latent + c] = 1;
      }
    }
    const images = decodeInBatches(codes, k * 8, z, pixels, decode);
    await save('discrete.png', (p) =>
      writePngAtomic(p, samplesGrid({ data: images, shape: [k * 8, ...shape] }, k * 8, 8, grid)),
    );
  }
  // the lecture's latent pictures: 2-D grid, codes scattered or mapped by class (latent-pictures.ts)
  written.push(...(await writeLatentPictures(model, data, runDir, seed)));
  // a decoder told a factor (class y, sensitive s): style traversals with it held fixed, one row per value
  const seedCode = encoded.means.subarray((seedIndex % n) * latent, ((seedIndex % n) + 1) * latent);
  written.push(...(await writeClassTraversals(model, seedCode, dims, shape, runDir, { steps, range, grid })));
  return written;
}

/** Rows of [continuous mean, one-hot codes] for a model with discrete latents; the means alone otherwise. */
function withCategories(
  model: Model,
  means: Float32Array,
  x: Float32Array,
  n: number,
  shape: readonly [number, number, number],
  oneHots: (probabilities: Float32Array) => Float32Array,
): Float32Array {
  if (!model.discrete) return means;
  const latent = model.latentDim;
  const width = model.discrete.sizes.reduce((a, b) => a + b, 0);
  const pixels = shape[0] * shape[1] * shape[2];
  const out = new Float32Array(n * (latent + width));
  for (let i = 0; i < n; i++) {
    const probabilities = tf.tidy(
      () =>
        model
          .discrete!.encode(tf.tensor4d(x.subarray(i * pixels, (i + 1) * pixels), [1, ...shape]))
          .dataSync() as Float32Array,
    );
    out.set(means.subarray(i * latent, (i + 1) * latent), i * (latent + width));
    out.set(oneHots(probabilities), i * (latent + width) + latent);
  }
  return out;
}

/** The most probable category of each latent, one-hot, side by side. */
export function argmaxOneHots(probabilities: ArrayLike<number>, sizes: number[]): Float32Array {
  const out = new Float32Array(probabilities.length);
  let offset = 0;
  for (const k of sizes) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[offset + c] > probabilities[offset + best]) best = c;
    out[offset + best] = 1;
    offset += k;
  }
  return out;
}
