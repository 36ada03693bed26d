import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/model.ts';
import type { TrainConfig } from './config.ts';
import { type BatchSlice, combineShards, type ShardResult, shardGradients } from './gradients.ts';
import type { GradientWorkers } from './parallel.ts';

/**
 * Data parallelism over worker threads (threaded wasm cannot start in Node: its workers load from
 * blob: URLs). This thread computes the first slice of each batch, `threads - 1` workers the others,
 * each on its own wasm instance with a replica of the model whose weights are refreshed every step;
 * gradients are averaged here and applied by this thread's optimizers.
 */
export async function startWorkers(config: TrainConfig, model: Model): Promise<GradientWorkers> {
  const workers = Array.from(
    { length: config.threads - 1 },
    () => new Worker(new URL('./gradient-worker-boot.js', import.meta.url), { workerData: { config } }),
  );
  await Promise.all(workers.map((w) => nextMessage(w)));
  return {
    async gradients(objective, step, stepSeed, batch) {
      const weights = flatWeights(model);
      const slices = splitBatch(batch, config.threads);
      const pending = workers.map((worker, i) => {
        const slice = slices[i + 1];
        worker.postMessage({ objective, step, stepSeed, slice, weights });
        return nextMessage(worker) as Promise<ShardResult>;
      });
      const own = shardGradients(model, objective, step, stepSeed, slices[0]);
      return combineShards([own, ...(await Promise.all(pending))]);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

function nextMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { error?: string }) => {
      worker.off('error', onError);
      if (message?.error) reject(new Error(`gradient worker: ${message.error}`));
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

/** Every weight of every net, concatenated in a fixed order (nets by name, weights by layer). */
export function flatWeights(model: Model): Float32Array {
  const arrays = Object.values(model.nets).flatMap((net) =>
    net.weights.map((w) => w.read().dataSync() as Float32Array),
  );
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

export function setFlatWeights(model: Model, flat: Float32Array): void {
  let offset = 0;
  for (const net of Object.values(model.nets)) {
    for (const weight of net.weights) {
      const size = (weight.shape as number[]).reduce((a, b) => a * b, 1);
      const value = tf.tensor(flat.subarray(offset, offset + size), weight.shape as number[]);
      weight.write(value);
      value.dispose();
      offset += size;
    }
  }
  if (offset !== flat.length)
    throw new Error(`weights of ${flat.length} values do not fit the model (${offset})`);
}

/** Contiguous, near-equal slices; slice i starts at example floor(i*n/parts). */
export function splitBatch(batch: BatchSlice, parts: number): BatchSlice[] {
  const [n, h, w, c] = batch.shape;
  const perExample = h * w * c;
  return Array.from({ length: parts }, (_, i) => {
    const start = Math.floor((i * n) / parts);
    const end = Math.floor(((i + 1) * n) / parts);
    return {
      x: batch.x.slice(start * perExample, end * perExample),
      shape: [end - start, h, w, c] as [number, number, number, number],
      firstExample: batch.firstExample + start,
    };
  });
}
