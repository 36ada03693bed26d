import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../engine/rng.ts';
import type { LatentLayout } from '../models/latent-layout.ts';
import type { AdamOptions, LossOutput, StepContext } from '../models/model.ts';
import type { RunConfig } from '../run/config.ts';

/**
 * What the one trainer (trainer.ts) needs from a kind of training — images, speech segments — and
 * nothing more: a model to update, batches, how a batch splits across workers, the objectives' losses,
 * optional hooks. The trainer owns the loop, checkpoints, exact resume, NaN handling, log.jsonl and
 * progress; an update strategy (update/) owns the weights and Adam.
 */

/** One slice of a step's batch, plain data that can travel to a worker thread. */
export interface BatchSlice {
  /** examples in the slice: the weight of its gradients in the batch average */
  size: number;
  /** index of the slice's first example in the whole batch (fixes its noise streams) */
  firstExample: number;
  /** ground-truth factor rows [size, numFactors], passed to the loss (labels, a sensitive attribute) */
  factors?: Int32Array;
}

/** A weight-holding model as the trainer sees it: nets for checkpoints, objectives to step in order. */
export interface TrainableModel {
  nets: Record<string, tfl.LayersModel>;
  objectives: ReadonlyArray<{ name: string; variables(): tf.Variable[]; optimizer: AdamOptions }>;
  /** its losses couple the examples of a batch: never split across worker threads (models/model.ts) */
  batchCoupled?: boolean;
}

/** The part of a task every worker thread rebuilds from the config alone: the model and its losses. */
export interface TaskReplica<S extends BatchSlice = BatchSlice> {
  model: TrainableModel;
  /**
   * what objective k's loss on this slice needs read back first (models/model.ts `prepare`), awaited
   * before the gradient on a context of its own that draws the loss's noise; absent: nothing
   */
  prepare?(k: number, slice: S, ctx: StepContext): Promise<unknown>;
  /** objective k's loss on one slice; tensors made here are freed by the caller's gradient scope */
  loss(k: number, slice: S, ctx: StepContext, prepared?: unknown): LossOutput;
}

/** What the weights can be asked to do by a hook (through the update strategy that holds them). */
export interface WeightAccess {
  /** after a hook wrote new values into these tfjs variables: take them as the weights */
  changed(variables: tf.Variable[]): void;
  /** restart Adam's moments of these variables (every objective that updates them) */
  resetMoments(variables: tf.Variable[]): void;
}

export interface TrainTask<S extends BatchSlice = BatchSlice> extends TaskReplica<S> {
  config: RunConfig;
  /** progress bar label, e.g. `train fhvae` */
  label: string;
  /** the log's throughput key: examples per second (`imgPerSec`, `segPerSec`) */
  rateKey: string;
  /** the log terms the progress line shows, by short name */
  progressTerms: Record<string, string>;
  /** the whole batch of a step, drawn from the run's RNG */
  sampleBatch(rng: Rng, step: number): S;
  /** contiguous slices of a batch, slice i starting at example floor(i·n/parts); views, not copies */
  split(batch: S, parts: number): S[];
  /** once before the first step (fresh or resumed at `step`) */
  begin?(step: number): void;
  /** before each step, awaited, e.g. the FHVAE's hierarchical-sampling rounds */
  beforeStep?(step: number, weights: WeightAccess): void | Promise<void>;
  /** extra fields of the step's log line, e.g. `round` */
  logFields?(): Record<string, number>;
  /** the model's latent layout, written into the run as latent.json (image and sequence models) */
  latent?: LatentLayout;
}

/** Contiguous, near-equal ranges [start, end) of n examples; range i starts at floor(i·n/parts). */
export function sliceRanges(n: number, parts: number): Array<[number, number]> {
  return Array.from({ length: parts }, (_, i) => [
    Math.floor((i * n) / parts),
    Math.floor(((i + 1) * n) / parts),
  ]);
}
