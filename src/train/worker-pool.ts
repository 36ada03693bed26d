import { Worker } from 'node:worker_threads';
import type { RunConfig } from '../run/config.ts';
import { combineShards, prepareShard, type ShardResult, shardGradients } from './gradients.ts';
import type { ParameterStore } from './parameters.ts';
import { SharedInbox } from './shared-inbox.ts';
import type { BatchSlice, TrainTask } from './task.ts';

/**
 * Data parallelism over worker threads (threaded wasm cannot start in Node: its workers load from
 * blob: URLs). This thread computes the first slice of each batch, `threads - 1` workers the others,
 * each on its own wasm instance with a replica of the task's model (replica.ts). The weights and every
 * worker's gradients live on SharedArrayBuffers, so a step's messages carry only the batch slice and
 * the loss terms (a worker's slice is copied into shared memory of its own: shared-inbox.ts).
 */
export interface GradientWorkers<S extends BatchSlice = BatchSlice> {
  /** objective k's batch-mean gradients over all threads (its arrays are rewritten by the next call for k) */
  gradients(k: number, step: number, stepSeed: number, batch: S): Promise<ShardResult>;
  close(): Promise<void>;
}

export interface GradientWorkerData {
  config: RunConfig;
  /** the parameter store's flat weights */
  params: ArrayBufferLike;
  /** where this worker writes its gradients, at the store's offsets */
  grads: SharedArrayBuffer;
}

export interface GradientRequest {
  objective: number;
  step: number;
  stepSeed: number;
  slice: BatchSlice;
}

export async function startWorkers<S extends BatchSlice>(
  task: TrainTask<S>,
  store: ParameterStore,
  threads: number,
): Promise<GradientWorkers<S>> {
  const replicas = Array.from({ length: threads - 1 }, () => {
    const grads = new SharedArrayBuffer(store.flat.byteLength);
    const worker = new Worker(new URL('./gradient-worker-boot.js', import.meta.url), {
      workerData: { config: task.config, params: store.flat.buffer, grads } satisfies GradientWorkerData,
    });
    return { worker, grads: new Float32Array(grads), inbox: new SharedInbox() };
  });
  await Promise.all(replicas.map((r) => nextMessage(r.worker)));
  const indices = task.model.objectives.map((o) => store.indicesOf(o.variables()));
  // each objective's mean gradients, written in place every step (a fresh 3 MB array costs more than the sum)
  const means = indices.map((list) => list.map((k) => new Float32Array(store.sizes[k])));
  // and this thread's own shard's gradients
  const own = indices.map((list) => list.map((k) => new Float32Array(store.sizes[k])));
  return {
    async gradients(objective, step, stepSeed, batch) {
      const slices = task.split(batch, threads);
      const pending = replicas.map(async ({ worker, grads, inbox }, i) => {
        const slice = inbox.place(slices[i + 1]);
        worker.postMessage({ objective, step, stepSeed, slice } satisfies GradientRequest);
        const summary = (await nextMessage(worker)) as Omit<ShardResult, 'grads'>;
        const views = indices[objective].map((k) =>
          grads.subarray(store.offsets[k], store.offsets[k] + store.sizes[k]),
        );
        return { ...summary, grads: views };
      });
      const prepared = await prepareShard(task, objective, step, stepSeed, slices[0]);
      const mine = shardGradients(task, objective, step, stepSeed, slices[0], prepared, own[objective]);
      return combineShards([mine, ...(await Promise.all(pending))], means[objective]);
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
