import * as tf from '@tensorflow/tfjs-core';
import { InputError } from '../io/input-error.ts';
import type { Model } from './model.ts';

/** What a model infers from observations, as plain row-major arrays. */
export interface Encoded {
  n: number;
  /** posterior means of the continuous latents [n, latentDim] */
  mean: Float32Array;
  /** posterior log-variances [n, latentDim] */
  logVar: Float32Array;
  /** models with discrete latents: q(c|x) of each latent side by side [n, Σ discreteSizes] */
  discrete?: Float32Array;
  discreteSizes?: number[];
  /** models that infer the factor their decoder is conditioned on: q(f|x) [n, size] */
  conditional?: Float32Array;
}

export const INFERENCE_DEFAULTS = { batchSize: 256 } as const;

export interface InferenceOptions {
  /** images per forward pass */
  batchSize?: number;
}

function batchSizeOf(options: InferenceOptions): number {
  const { batchSize } = { ...INFERENCE_DEFAULTS, ...options };
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InputError(`batchSize: expected a positive integer, got ${batchSize}`);
  return batchSize;
}

/** The posterior means and log-variances [n, latentDim] of n observations [n, h, w, c], one forward pass. */
export function encodePosterior(
  model: Model,
  x: Float32Array,
  n: number,
  [h, w, c]: readonly number[],
): { mean: Float32Array; logVar: Float32Array } {
  return tf.tidy(() => {
    const { mean, logVar } = model.encode(tf.tensor4d(x, [n, h, w, c]));
    return { mean: mean.dataSync() as Float32Array, logVar: logVar.dataSync() as Float32Array };
  });
}

/**
 * Encodes n observations [n, h, w, c] (values in [0, 1]) of the shape the model was trained on:
 * posterior means, log-variances and, where the model has them, discrete and conditional probabilities.
 */
export function encodeObservations(
  model: Model,
  images: Float32Array,
  observationShape: readonly [number, number, number],
  options: InferenceOptions = {},
): Encoded {
  const batchSize = batchSizeOf(options);
  const [h, w, c] = observationShape;
  const pixels = h * w * c;
  if (images.length % pixels !== 0) {
    throw new InputError(
      `images: ${images.length} values are not a whole number of ${h}x${w}x${c} observations`,
    );
  }
  const n = images.length / pixels;
  const dim = model.latentDim;
  const sizes = model.discrete?.sizes;
  const discreteWidth = sizes?.reduce((a, b) => a + b, 0) ?? 0;
  const infer = model.conditional?.infer;
  const out: Encoded = {
    n,
    mean: new Float32Array(n * dim),
    logVar: new Float32Array(n * dim),
    ...(sizes ? { discrete: new Float32Array(n * discreteWidth), discreteSizes: [...sizes] } : {}),
    ...(infer ? { conditional: new Float32Array(n * model.conditional!.size) } : {}),
  };
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    tf.tidy(() => {
      const x = tf.tensor4d(images.subarray(start * pixels, (start + m) * pixels), [m, h, w, c]);
      const { mean, logVar } = model.encode(x);
      out.mean.set(mean.dataSync(), start * dim);
      out.logVar.set(logVar.dataSync(), start * dim);
      if (out.discrete) out.discrete.set(model.discrete!.encode(x).dataSync(), start * discreteWidth);
      if (out.conditional && infer) {
        out.conditional.set(infer(x).dataSync(), start * model.conditional!.size);
      }
    });
  }
  return out;
}

/**
 * The widths a code row may have: the continuous latents alone, or followed by the one-hot (or
 * probability) rows of the model's discrete latents or of the factor its decoder is conditioned on.
 */
export function codeWidths(model: Model): { latent: number; extra: number; extraName?: string } {
  const latent = model.latentDim;
  if (model.discrete) {
    return { latent, extra: model.discrete.sizes.reduce((a, b) => a + b, 0), extraName: 'discrete' };
  }
  if (model.conditional)
    return { latent, extra: model.conditional.size, extraName: model.conditional.factor };
  return { latent, extra: 0 };
}

/**
 * Decodes n codes [n, width] to images [n, h, w, c] in [0, 1]. A row is the continuous latents, or (for
 * models with discrete latents or a conditioned decoder) the continuous latents followed by one-hot rows;
 * without those the model's own `decode` chooses (a discrete model decodes its first category).
 */
export function decodeLatents(
  model: Model,
  codes: Float32Array,
  width: number,
  observationShape: readonly [number, number, number],
  options: InferenceOptions = {},
): Float32Array {
  const batchSize = batchSizeOf(options);
  const { latent, extra, extraName } = codeWidths(model);
  if (width !== latent && (extra === 0 || width !== latent + extra)) {
    const expected =
      extra === 0
        ? `${latent}`
        : `${latent} (latents) or ${latent + extra} (latents, then ${extraName} one-hots)`;
    throw new InputError(`codes: ${width} columns, expected ${expected}`);
  }
  if (codes.length % width !== 0)
    throw new InputError(`codes: ${codes.length} values are not whole rows of ${width}`);
  const bad = codes.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new InputError(`codes: value ${codes[bad]} at flat index ${bad}, expected finite numbers`);
  const n = codes.length / width;
  const [h, w, c] = observationShape;
  const pixels = h * w * c;
  const out = new Float32Array(n * pixels);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    tf.tidy(() => {
      const rows = tf.tensor2d(codes.subarray(start * width, (start + m) * width), [m, width]);
      let images: tf.Tensor4D;
      if (width === latent) images = model.decode(rows);
      else {
        const z = tf.slice(rows, [0, 0], [m, latent]) as tf.Tensor2D;
        const oneHot = tf.slice(rows, [0, latent], [m, extra]) as tf.Tensor2D;
        images = model.discrete ? model.discrete.decode(z, oneHot) : model.conditional!.decode(z, oneHot);
      }
      out.set(images.dataSync(), start * pixels);
    });
  }
  return out;
}
