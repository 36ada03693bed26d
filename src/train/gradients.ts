import * as tf from '@tensorflow/tfjs-core';
import { nativeAddon } from '../engine/kernels/native/addon.ts';
import type { Wasm } from '../engine/kernels/wasm/heap.ts';
import { stepContext } from './step-noise.ts';
import type { BatchSlice, TaskReplica } from './task.ts';

/** One objective's loss terms and gradients on (part of) a batch, read back to the host. */
export interface ShardResult {
  /** examples in this shard, the weight of its gradients in the batch average */
  size: number;
  total: number;
  terms: Record<string, number>;
  klPerDim?: Float32Array;
  /** one per variable of the objective, in its order */
  grads: Float32Array[];
}

/**
 * What objective k's loss on this slice needs before its gradient (task.prepare), awaited outside it;
 * on a step context of its own, so it draws the same noise the loss will.
 */
export async function prepareShard<S extends BatchSlice>(
  task: TaskReplica<S>,
  k: number,
  step: number,
  stepSeed: number,
  slice: S,
): Promise<unknown> {
  return task.prepare?.(k, slice, stepContext(step, stepSeed, slice.firstExample, slice.factors));
}

/**
 * Loss terms and gradients of objective k on one slice, on the host: what the shared-memory update
 * and its worker threads exchange (a device update keeps them on the backend instead). `prepared`:
 * what prepareShard returned for this slice and step. `into`, when given (one array per variable),
 * receives the gradients and is returned as `grads`: no fresh arrays per step (see readInto).
 */
export function shardGradients<S extends BatchSlice>(
  task: TaskReplica<S>,
  k: number,
  step: number,
  stepSeed: number,
  slice: S,
  prepared?: unknown,
  into?: Float32Array[],
): ShardResult {
  const variables = task.model.objectives[k].variables();
  const ctx = stepContext(step, stepSeed, slice.firstExample, slice.factors);
  let terms: Record<string, number> = {};
  let klPerDim: Float32Array | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = task.loss(k, slice, ctx, prepared);
    // The scope of variableGrads frees everything but the total: read the terms out while they live.
    terms = Object.fromEntries(Object.entries(out.terms).map(([name, t]) => [name, t.dataSync()[0]]));
    klPerDim = out.klPerDim?.dataSync() as Float32Array | undefined;
    return out.total;
  }, variables);
  const result: ShardResult = {
    size: slice.size,
    total: value.dataSync()[0],
    terms,
    klPerDim,
    grads: variables.map((v, i) =>
      into ? readInto(grads[v.name], into[i]) : (grads[v.name].dataSync() as Float32Array),
    ),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/**
 * Copies a float32 tensor's values into `into`. On wasm straight from the heap: a fresh array per
 * variable and step (dataSync's copy, 3 MB a step for the yardstick) counts as external memory that
 * sets off a full V8 collection every few steps in every thread's isolate.
 */
export function readInto(t: tf.Tensor, into: Float32Array): Float32Array {
  const backend = tf.backend() as Partial<Wasm>;
  if (tf.getBackend() === 'wasm' && backend.typedArrayFromHeap) into.set(backend.typedArrayFromHeap(t));
  else into.set(t.dataSync() as Float32Array);
  return into;
}

/** Shard results' batch-mean loss terms, and each shard's weight in the mean (its share of the batch). */
export interface ShardTerms extends Omit<ShardResult, 'grads'> {
  weights: Float64Array;
}

/** The batch-mean of shard results' loss terms, weighted by shard size (each is a mean over its examples). */
export function meanOfShardTerms(shards: Omit<ShardResult, 'grads'>[]): ShardTerms {
  const size = shards.reduce((n, s) => n + s.size, 0);
  const weights = Float64Array.from(shards, (s) => s.size / size);
  const mean = (pick: (s: Omit<ShardResult, 'grads'>) => number) =>
    shards.reduce((acc, s, j) => acc + weights[j] * pick(s), 0);
  return {
    size,
    total: mean((s) => s.total),
    terms: Object.fromEntries(Object.keys(shards[0].terms).map((name) => [name, mean((s) => s.terms[name])])),
    klPerDim:
      shards[0].klPerDim &&
      weightedMean(
        shards.map((s) => s.klPerDim!),
        weights,
      ),
    weights,
  };
}

/**
 * Σ weights[j]·arrays[j], each term added in float64 and rounded to float32 (in C where the addon
 * loads, the same arithmetic), into `into` when given.
 */
export function weightedMean(
  arrays: Float32Array[],
  weights: Float64Array,
  into?: Float32Array,
): Float32Array {
  const out = into ?? new Float32Array(arrays[0].length);
  const addon = nativeAddon();
  if (addon && arrays.length <= 64) {
    addon.weightedSum(arrays, weights, out);
    return out;
  }
  out.fill(0);
  for (let j = 0; j < arrays.length; j++) {
    const a = arrays[j];
    const w = weights[j];
    for (let i = 0; i < out.length; i++) out[i] += w * a[i];
  }
  return out;
}
