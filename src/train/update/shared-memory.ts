import type * as tf from '@tensorflow/tfjs-core';
import { Adam } from '../adam.ts';
import { prepareShard, shardGradients } from '../gradients.ts';
import { ParameterStore } from '../parameters.ts';
import type { BatchSlice, TrainTask } from '../task.ts';
import { type GradientWorkers, startWorkers } from '../worker-pool.ts';
import { assertFinite, type ObjectiveLoss, type UpdateStrategy } from './strategy.ts';

/**
 * The host-side update for wasm and cpu: every weight in one flat float32 array on a SharedArrayBuffer
 * (parameters.ts) that Adam (adam.ts, float64 arithmetic) updates in place; `threads - 1` worker threads
 * compute slices of each batch into shared gradient buffers (worker-pool.ts). Gradients come back to the
 * host every step, so a non-finite loss stops the run before its update. A batch-coupled model
 * (model.ts: β-TCVAE, FactorVAE, DIP-VAE, fair VAE) trains in this thread only, so its loss is the
 * same estimator at any `threads`.
 */
export async function sharedMemoryUpdate<S extends BatchSlice>(
  task: TrainTask<S>,
  threads = 1,
): Promise<UpdateStrategy<S>> {
  const { model } = task;
  const store = new ParameterStore(model);
  const indices = model.objectives.map((o) => store.indicesOf(o.variables()));
  const adams = model.objectives.map(
    (o, k) =>
      new Adam(
        indices[k].map((i) => store.sizes[i]),
        o.optimizer,
      ),
  );
  const names = model.objectives.map((o) => o.name);
  const workers: GradientWorkers<S> | undefined =
    threads > 1 && !model.batchCoupled ? await startWorkers(task, store, threads, adams) : undefined;
  // this thread's gradients when it trains alone, rewritten every step
  const grads = workers ? [] : indices.map((list) => list.map((i) => new Float32Array(store.sizes[i])));
  let last: ObjectiveLoss[] = [];
  const storeIndices = (variables: tf.Variable[]) => store.indicesOf(variables);
  return {
    name: 'shared-memory',
    async step(step, stepSeed, batch) {
      last = [];
      for (const k of model.objectives.keys()) {
        let loss: ObjectiveLoss;
        if (workers) {
          const pooled = await workers.gradients(k, step, stepSeed, batch);
          assertFinite([pooled], [names[k]], step + 1);
          await workers.update(k, adams[k], pooled.weights);
          loss = pooled;
        } else {
          const prepared = await prepareShard(task, k, step, stepSeed, batch);
          const result = shardGradients(task, k, step, stepSeed, batch, prepared, grads[k]);
          assertFinite([result], [names[k]], step + 1);
          adams[k].apply(
            indices[k].map((i) => store.view(i)),
            result.grads,
          );
          loss = result;
        }
        store.writeToModel(indices[k]);
        last.push({ total: loss.total, terms: loss.terms, klPerDim: loss.klPerDim });
      }
    },
    losses: async () => last,
    optimizers: () => adams,
    async syncModel() {},
    loadFromModel: () => store.readFromModel(),
    changed(variables) {
      for (const i of storeIndices(variables))
        store.view(i).set(store.variables[i].dataSync() as Float32Array);
    },
    resetMoments(variables) {
      const wanted = new Set(storeIndices(variables));
      adams.forEach((adam, k) => {
        const slots = adam.state();
        indices[k].forEach((i, slot) => {
          if (!wanted.has(i)) return;
          slots[2 * slot].fill(0);
          slots[2 * slot + 1].fill(0);
        });
      });
    },
    async close() {
      await workers?.close();
    },
  };
}
