import { Worker } from 'node:worker_threads';
import type { TrainConfig } from '../run/config.ts';
import { type BatchSlice, combineShards, type ShardResult, shardGradients } from './gradients.ts';
import type { GradientWorkers } from './parallel.ts';
import type { Session } from './session.ts';

/**
 * Data parallelism over worker threads (threaded wasm cannot start in Node: its workers load from
 * blob: URLs). This thread computes the first slice of each batch, `threads - 1` workers the others,
 * each on its own wasm instance with a replica of the model. The weights and every worker's gradients
 * live on SharedArrayBuffers, so a step's messages carry only the batch slice and the loss terms.
 */
export async function startWorkers(session: Session): Promise<GradientWorkers> {
  const { config, store, model } = session;
  const replicas = Array.from({ length: config.threads - 1 }, () => {
    const grads = new SharedArrayBuffer(store.flat.byteLength);
    const worker = new Worker(new URL('./gradient-worker-boot.js', import.meta.url), {
      workerData: { config, params: store.flat.buffer, grads } satisfies GradientWorkerData,
    });
    return { worker, grads: new Float32Array(grads) };
  });
  await Promise.all(replicas.map((r) => nextMessage(r.worker)));
  return {
    async gradients(objective, step, stepSeed, batch) {
      const slices = splitBatch(batch, config.threads);
      const indices = session.objectives[objective].indices;
      const pending = replicas.map(async ({ worker, grads }, i) => {
        const slice = slices[i + 1];
        const transfer = [slice.x.buffer, ...(slice.factors ? [slice.factors.buffer] : [])];
        worker.postMessage(
          { objective, step, stepSeed, slice } satisfies GradientRequest,
          transfer as ArrayBuffer[],
        );
        const summary = (await nextMessage(worker)) as Omit<ShardResult, 'grads'>;
        const views = indices.map((k) => grads.subarray(store.offsets[k], store.offsets[k] + store.sizes[k]));
        return { ...summary, grads: views };
      });
      const own = shardGradients(model, objective, step, stepSeed, slices[0]);
      return combineShards([own, ...(await Promise.all(pending))]);
    },
    async close() {
      await Promise.all(replicas.map((r) => r.worker.terminate()));
    },
  };
}

export interface GradientWorkerData {
  config: TrainConfig;
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

/** Contiguous, near-equal slices; slice i starts at example floor(i*n/parts). */
export function splitBatch(batch: BatchSlice, parts: number): BatchSlice[] {
  const [n, h, w, c] = batch.shape;
  const perExample = h * w * c;
  const factorCount = batch.factors ? batch.factors.length / n : 0;
  return Array.from({ length: parts }, (_, i) => {
    const start = Math.floor((i * n) / parts);
    const end = Math.floor(((i + 1) * n) / parts);
    return {
      x: batch.x.slice(start * perExample, end * perExample),
      shape: [end - start, h, w, c] as [number, number, number, number],
      firstExample: batch.firstExample + start,
      factors: batch.factors?.slice(start * factorCount, end * factorCount),
    };
  });
}
