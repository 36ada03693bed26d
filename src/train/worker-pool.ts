import { Worker } from 'node:worker_threads';
import type { RunConfig } from '../run/config.ts';
import { type Adam, adamStep } from './adam.ts';
import {
  meanOfShardTerms,
  prepareShard,
  type ShardResult,
  type ShardTerms,
  shardGradients,
  weightedMean,
} from './gradients.ts';
import type { ParameterStore } from './parameters.ts';
import { SharedInbox } from './shared-inbox.ts';
import type { BatchSlice, TrainTask } from './task.ts';

/**
 * Data parallelism over worker threads (threaded wasm cannot start in Node: its workers load from
 * blob: URLs). This thread computes the first slice of each batch, `threads - 1` workers the others,
 * each on its own wasm instance with a replica of the task's model (replica.ts). The weights and every
 * worker's gradients live on SharedArrayBuffers, so a step's messages carry only the batch slice and
 * the loss terms (a worker's slice is copied into shared memory of its own: shared-inbox.ts). The update
 * is split too: each thread averages the threads' gradients of its share of the variables and takes
 * their Adam step (the moments are on shared memory), so the serial part of a step is the weights'
 * copy into tfjs alone.
 */
export interface GradientWorkers<S extends BatchSlice = BatchSlice> {
  /** objective k's batch-mean loss terms; every thread's gradients stay in shared memory for `update` */
  gradients(k: number, step: number, stepSeed: number, batch: S): Promise<ShardTerms>;
  /** objective k's Adam step on the size-weighted mean of the gradients `gradients` left (its `weights`) */
  update(k: number, adam: Adam, weights: Float64Array): Promise<void>;
  close(): Promise<void>;
}

export interface GradientWorkerData {
  config: RunConfig;
  /** the parameter store's flat weights */
  params: ArrayBufferLike;
  /** every thread's gradients at the store's offsets, this thread's first; this worker writes `grads[index]` */
  grads: SharedArrayBuffer[];
  index: number;
  /** each objective's Adam moments [m_0, v_0, m_1, v_1, ...] (Adam.state) */
  moments: ArrayBufferLike[][];
}

export interface GradientRequest {
  kind: 'gradients';
  objective: number;
  step: number;
  stepSeed: number;
  slice: BatchSlice;
}

/** Adam on variables [from, to) of an objective's list; the worker answers `{ updated: true }`. */
export interface UpdateRequest {
  kind: 'update';
  objective: number;
  from: number;
  to: number;
  constants: Float64Array;
  weights: Float64Array;
}

/**
 * Slots [from, to) of an objective: the mean of every thread's gradients (into `scratch`), then Adam
 * in place on the shared weights and moments. The same float64 arithmetic in every thread, so the
 * split changes no bit.
 */
export function updateSlots(
  store: ParameterStore,
  variableIndices: readonly number[],
  grads: readonly Float32Array[],
  moments: readonly Float32Array[],
  scratch: Float32Array[],
  request: Pick<UpdateRequest, 'from' | 'to' | 'constants' | 'weights'>,
): void {
  for (let slot = request.from; slot < request.to; slot++) {
    const i = variableIndices[slot];
    scratch[slot] ??= new Float32Array(store.sizes[i]);
    const mean = weightedMean(
      grads.map((g) => store.viewOf(g, i)),
      request.weights,
      scratch[slot],
    );
    adamStep(store.view(i), mean, moments[2 * slot], moments[2 * slot + 1], request.constants);
  }
}

/** [from, to) slot ranges, one per thread, of about equal numbers of weights. */
export function splitSlots(sizes: readonly number[], parts: number): [number, number][] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const ranges: [number, number][] = [];
  let slot = 0;
  let done = 0;
  for (let p = 0; p < parts; p++) {
    const from = slot;
    const goal = (total * (p + 1)) / parts;
    while (slot < sizes.length && (p === parts - 1 || done + sizes[slot] / 2 <= goal)) done += sizes[slot++];
    ranges.push([from, slot]);
  }
  return ranges;
}

export async function startWorkers<S extends BatchSlice>(
  task: TrainTask<S>,
  store: ParameterStore,
  threads: number,
  adams: readonly Adam[],
): Promise<GradientWorkers<S>> {
  const grads = Array.from({ length: threads }, () => new SharedArrayBuffer(store.flat.byteLength));
  const moments = adams.map((adam) => adam.state().map((a) => a.buffer));
  const replicas = grads.slice(1).map((_, i) => {
    const workerData: GradientWorkerData = {
      config: task.config,
      params: store.flat.buffer,
      grads,
      index: i + 1,
      moments,
    };
    const worker = new Worker(new URL('./gradient-worker-boot.js', import.meta.url), { workerData });
    return { worker, inbox: new SharedInbox() };
  });
  await Promise.all(replicas.map((r) => nextMessage(r.worker)));
  const indices = task.model.objectives.map((o) => store.indicesOf(o.variables()));
  const allGrads = grads.map((b) => new Float32Array(b));
  // this thread's own shard's gradients, written in place every step (a fresh 3 MB array costs more than the sum)
  const own = indices.map((list) => list.map((i) => store.viewOf(allGrads[0], i)));
  const ranges = indices.map((list) =>
    splitSlots(
      list.map((i) => store.sizes[i]),
      threads,
    ),
  );
  const scratch = indices.map(() => [] as Float32Array[]);
  return {
    async gradients(objective, step, stepSeed, batch) {
      const slices = task.split(batch, threads);
      const pending = replicas.map(async ({ worker, inbox }, i) => {
        const slice = inbox.place(slices[i + 1]);
        worker.postMessage({ kind: 'gradients', objective, step, stepSeed, slice } satisfies GradientRequest);
        return (await nextMessage(worker)) as Omit<ShardResult, 'grads'>;
      });
      const prepared = await prepareShard(task, objective, step, stepSeed, slices[0]);
      const mine = shardGradients(task, objective, step, stepSeed, slices[0], prepared, own[objective]);
      return meanOfShardTerms([mine, ...(await Promise.all(pending))]);
    },
    async update(objective, adam, weights) {
      const constants = adam.nextConstants();
      const parts = ranges[objective];
      const pending = replicas.map(({ worker }, i) => {
        const [from, to] = parts[i + 1];
        worker.postMessage({
          kind: 'update',
          objective,
          from,
          to,
          constants,
          weights,
        } satisfies UpdateRequest);
        return nextMessage(worker);
      });
      const [from, to] = parts[0];
      updateSlots(store, indices[objective], allGrads, adam.state(), scratch[objective], {
        from,
        to,
        constants,
        weights,
      });
      await Promise.all(pending);
    },
    async close() {
      await Promise.all(replicas.map((r) => r.worker.terminate()));
    },
  };
}

/** The worker's next message; its `{ error }` reply or an 'error' event rejects, named by `label`. */
export function nextMessage(worker: Worker, label = 'gradient worker'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { error?: string }) => {
      worker.off('error', onError);
      if (message?.error) reject(new Error(`${label}: ${message.error}`));
      else resolve(message);
    };
    const onError = (err: Error) => {
      worker.off('message', onMessage);
      reject(err);
    };
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
}
