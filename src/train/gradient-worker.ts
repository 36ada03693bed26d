import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../engine/backend.ts';
import { prepareShard, shardGradients } from './gradients.ts';
import { ParameterStore } from './parameters.ts';
import { buildReplica } from './replica.ts';
import {
  type GradientRequest,
  type GradientWorkerData,
  type UpdateRequest,
  updateSlots,
} from './worker-pool.ts';

// One data-parallel replica: reads the shared weights, computes its slice's gradients into shared memory,
// and takes the Adam step of its share of the variables.
const { config, params, grads, index, moments } = workerData as GradientWorkerData;
await useBackend(config.backend);
const replica = buildReplica(config);
const store = new ParameterStore(replica.model, params as SharedArrayBuffer);
const allGrads = grads.map((b) => new Float32Array(b));
const gradients = allGrads[index];
const objectiveIndices = replica.model.objectives.map((o) => store.indicesOf(o.variables()));
// each objective's gradients are read from the backend straight into the shared buffer
const targets = objectiveIndices.map((list) => list.map((k) => store.viewOf(gradients, k)));
const sharedMoments = moments.map((list) => list.map((b) => new Float32Array(b as SharedArrayBuffer)));
const scratch = objectiveIndices.map(() => [] as Float32Array[]);
const port = parentPort!;
port.on('message', async (request: GradientRequest | UpdateRequest) => {
  try {
    if (request.kind === 'update') {
      const k = request.objective;
      updateSlots(store, objectiveIndices[k], allGrads, sharedMoments[k], scratch[k], request);
      port.postMessage({ updated: true });
      return;
    }
    const { objective, step, stepSeed, slice } = request;
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
