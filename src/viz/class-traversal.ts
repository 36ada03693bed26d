import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { writePngAtomic } from '../io/png.ts';
import type { Model } from '../models/model.ts';
import { type GridOptions, samplesGrid } from './image-grid.ts';
import { decodeInBatches } from './traversal.ts';

export interface ClassTraversalOptions {
  /** how many of the style dims (highest KL first) get a picture */
  dims?: number;
  steps?: number;
  range?: number;
  grid?: GridOptions;
}

/**
 * Codes of a style traversal with the conditioning factor held fixed: row c decodes [z, one-hot(c)]
 * for z = mu with dim `dim` stepped over mu_dim ± range; rows × steps codes, row-major.
 */
export function classTraversalCodes(
  mu: ArrayLike<number>,
  dim: number,
  classes: number,
  steps: number,
  range: number,
): { z: Float32Array; oneHot: Float32Array } {
  const latent = mu.length;
  const n = classes * steps;
  const z = new Float32Array(n * latent);
  const oneHot = new Float32Array(n * classes);
  for (let c = 0; c < classes; c++) {
    for (let j = 0; j < steps; j++) {
      const row = c * steps + j;
      z.set(Array.from(mu), row * latent);
      z[row * latent + dim] = mu[dim] - range + (2 * range * j) / Math.max(1, steps - 1);
      oneHot[row * classes + c] = 1;
    }
  }
  return { z, oneHot };
}

/**
 * For a model whose decoder is told a factor (model.conditional: the semi-supervised VAE's class, the
 * fair VAE's s), one picture per style dim, `class-traversal-z<dim>.png`: one row per value of the
 * factor, the columns stepping that dim of a seed image's code, so a row shows style with the class fixed.
 */
export async function writeClassTraversals(
  model: Model,
  mu: ArrayLike<number>,
  dimsByKl: readonly number[],
  shape: readonly [number, number, number],
  runDir: string,
  options: ClassTraversalOptions = {},
): Promise<string[]> {
  const conditional = model.conditional;
  if (!conditional) return [];
  const { dims = 3, steps = 10, range = 2, grid = {} } = options;
  const latent = model.latentDim;
  const k = conditional.size;
  const pixels = shape[0] * shape[1] * shape[2];
  const written: string[] = [];
  for (const dim of dimsByKl.slice(0, dims)) {
    const { z, oneHot } = classTraversalCodes(mu, dim, k, steps, range);
    const codes = new Float32Array(k * steps * (latent + k));
    for (let r = 0; r < k * steps; r++) {
      codes.set(z.subarray(r * latent, (r + 1) * latent), r * (latent + k));
      codes.set(oneHot.subarray(r * k, (r + 1) * k), r * (latent + k) + latent);
    }
    const images = decodeInBatches(codes, k * steps, latent + k, pixels, (batch, n) =>
      tf.tidy(() => {
        const [code, classes] = tf.split(tf.tensor2d(batch, [n, latent + k]), [latent, k], 1) as [
          tf.Tensor2D,
          tf.Tensor2D,
        ];
        return conditional.decode(code, classes).dataSync() as Float32Array;
      }),
    );
    const path = join(runDir, `class-traversal-z${dim}.png`);
    await writePngAtomic(
      path,
      samplesGrid({ data: images, shape: [k * steps, ...shape] }, k * steps, steps, grid),
    );
    written.push(path);
  }
  return written;
}
