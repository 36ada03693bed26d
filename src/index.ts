/**
 * Untangle's public API for Node: everything of `untangle/browser`, plus datasets that read files,
 * training, run folders, encoding and decoding with a trained run, and .npy/.npz/PNG/GIF files.
 * Anything not exported here is internal and may change.
 * @module untangle
 */

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GroundTruthData } from './data/ground-truth.ts';
import type { BackendName } from './engine/backend.ts';
import { writeFileAtomic } from './io/atomic.ts';
import { InputError } from './io/input-error.ts';
import { runTraining } from './jobs/run-training.ts';
import { type Matrix, toMatrix } from './metrics/array-metrics.ts';
import {
  decodeLatents,
  type Encoded,
  encodeObservations,
  type InferenceOptions,
} from './models/inference.ts';
import type { Model } from './models/model.ts';
import { resolveTrainConfig, type TrainConfig, type trainConfigSchema } from './run/config.ts';
import { CONFIG_FILE, loadRun as loadRunParts } from './run/load-run.ts';
import type { LogEntry } from './run/log.ts';
import type { ImageBatch } from './viz/image-grid.ts';

export * from './browser.ts';
export { createFashionMnist as fashionMnist } from './data/fashion-mnist.ts';
export { createImageFolder as imageFolder, type ImageFolderOptions } from './data/image-folder.ts';
export { createMnist as mnist } from './data/mnist.ts';
export { createDataset, DATASETS } from './data/registry.ts';
export { BACKENDS, type BackendName, useBackend } from './engine/backend.ts';
export { decodeNpy, encodeNpy, type NpyArray, type NpyDtype, readNpy, writeNpy } from './io/npy.ts';
export { readNpz, writeNpz } from './io/npz.ts';
export { decodePng, encodePng, writePngAtomic } from './io/png.ts';
export { type EvaluateOptions, evaluateRun, type MetricsReport } from './metrics/evaluate-run.ts';
export type { AnnealedVaeOptions } from './models/annealed-vae.ts';
export type { BetaTcVaeOptions } from './models/beta-tcvae.ts';
export type { BetaVaeOptions } from './models/beta-vae.ts';
export type { CascadeVaeOptions } from './models/cascade-vae.ts';
export type { ModelDefinition, Preset } from './models/define.ts';
export type { DipVaeOptions } from './models/dip-vae.ts';
export type { FactorVaeOptions } from './models/factor-vae.ts';
export type { FairVaeOptions } from './models/fair-vae.ts';
export type { JointVaeOptions } from './models/joint-vae.ts';
export type { DiscreteLatent, LatentGroup, LatentLayout } from './models/latent-layout.ts';
export { MODELS } from './models/registry.ts';
export type { SemiSupervisedVaeOptions } from './models/semi-supervised-vae.ts';
export type { TrainConfig } from './run/config.ts';
export type { LogEntry } from './run/log.ts';
export { encodeGif, writeGifAtomic } from './viz/gif.ts';

/** A training config as written: every key optional (defaults as in docs/models.md), validated by zod. */
export type TrainConfigInput = import('zod').input<typeof trainConfigSchema>;

/** A trained run: its folder, resolved config, model (weights loaded) and dataset. */
export interface Run {
  dir: string;
  config: TrainConfig;
  model: Model;
  data: GroundTruthData;
}

export interface TrainCallOptions {
  /** the run folder to create (must be absent or empty) */
  out: string;
  /** called after every step with its log entry */
  onStep?: (entry: LogEntry, step: number) => void;
  /** aborting stops after the current step with a checkpoint; the run resumes with `untangle train --resume` */
  signal?: AbortSignal;
  /** print a progress bar on stderr (default false) */
  progress?: boolean;
}

/**
 * Trains a model into a new run folder, exactly as `untangle train` does (same config validation, same
 * run folder: config.json, log.jsonl, checkpoint/, pictures), and returns the trained run.
 */
export async function train(config: TrainConfigInput, options: TrainCallOptions): Promise<Run> {
  const resolved = resolveTrainConfig(config);
  for (const key of ['dataPath', 'factorsPath'] as const) {
    if (resolved[key]) resolved[key] = resolve(resolved[key]);
  }
  const dir = options.out;
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new InputError(`train: run folder ${dir} already exists and is not empty, choose another out`);
  mkdirSync(dir, { recursive: true });
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(resolved, null, 2)}\n`);
  await runTraining(resolved, dir, false, {
    progress: options.progress ?? false,
    onStep: options.onStep,
    signal: options.signal,
  });
  return loadRun(dir, resolved.backend);
}

/** A run folder written by `untangle train` or `train()`, its weights from the last checkpoint. */
export async function loadRun(dir: string, backend?: BackendName): Promise<Run> {
  const { config, model, data } = await loadRunParts(dir, backend);
  return { dir, config, model, data };
}

/**
 * Encodes observations with a run's model: `images` are [n, h, w, c] values in [0, 1] of the run's
 * observation shape (flat, or an ImageBatch). Returns posterior means, log-variances and, for models
 * with discrete latents, their probabilities.
 */
export function encode(
  run: Pick<Run, 'model' | 'data'>,
  images: Float32Array | ImageBatch,
  options: InferenceOptions = {},
): Encoded {
  const shape = run.data.observationShape;
  if (!(images instanceof Float32Array)) {
    const [, h, w, c] = images.shape;
    if (h !== shape[0] || w !== shape[1] || c !== shape[2])
      throw new InputError(
        `images: ${h}x${w}x${c} (h x w x c), expected ${shape.join('x')} like the run's data`,
      );
  }
  return encodeObservations(run.model, images instanceof Float32Array ? images : images.data, shape, options);
}

/**
 * Decodes codes [n, latents] (or latents then one-hot discrete/conditional columns) into images in
 * [0, 1] of the run's observation shape.
 */
export function decode(
  run: Pick<Run, 'model' | 'data'>,
  codes: Matrix,
  options: InferenceOptions = {},
): ImageBatch {
  const { values, rows, cols } = toMatrix('codes', codes);
  const shape = run.data.observationShape;
  const data = decodeLatents(run.model, Float32Array.from(values), cols, shape, options);
  return { data, shape: [rows, shape[0], shape[1], shape[2]] };
}
