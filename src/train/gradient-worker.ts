import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../engine/backend.ts';
import { prepareShard, shardGradients } from './gradients.ts';
import { ParameterStore } from './parameters.ts';
import { buildReplica } from './replica.ts';
import type { GradientRequest, GradientWorkerData } from './worker-pool.ts';

// One data-parallel replica: reads the shared weights, computes its slice's gradients into shared memory.
const { config, params, grads } = workerData as GradientWorkerData;
await useBackend(config.backend);
const replica = buildReplica(config);
const store = new ParameterStore(replica.model, params as SharedArrayBuffer);
const gradients = new Float32Array(grads);
const objectiveIndices = replica.model.objectives.map((o) => store.indicesOf(o.variables()));
// each objective's gradients are read from the backend straight into the shared buffer
const targets = objectiveIndices.map((list) =>
  list.map((k) => gradients.subarray(store.offsets[k], store.offsets[k] + store.sizes[k])),
);
const port = parentPort!;
port.on('message', async ({ objective, step, stepSeed, slice }: GradientRequest) => {
  try {
    store.writeToModel();
    const prepared = await prepareShard(replica, objective, step, stepSeed, slice);
    const { grads: _, ...summary } = shardGradients(
      replica,
      objective,
      step,
      stepSeed,
      slice,
      prepared,
      targets[objective],
    );
    port.postMessage(summary);
  } catch (err) {
    port.postMessage({ error: (err as Error).stack ?? String(err) });
  }
});
port.postMessage({ ready: true });
