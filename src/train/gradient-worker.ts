import { parentPort, workerData } from 'node:worker_threads';
import { createDataset } from '../data/registry.ts';
import { useBackend } from '../engine/backend.ts';
import { Rng } from '../engine/rng.ts';
import type { TrainConfig } from './config.ts';
import { type BatchSlice, shardGradients } from './gradients.ts';
import { buildModel } from './session.ts';
import { setFlatWeights } from './worker-pool.ts';

// One data-parallel replica: receives weights and a slice of the batch, returns that slice's gradients.
const { config } = workerData as { config: TrainConfig };
await useBackend(config.backend);
const data = createDataset(config.dataset, config.variant);
const model = buildModel(config, data.observationShape, new Rng(config.seed));
const port = parentPort!;
port.on(
  'message',
  (message: {
    objective: number;
    step: number;
    stepSeed: number;
    slice: BatchSlice;
    weights: Float32Array;
  }) => {
    try {
      setFlatWeights(model, message.weights);
      const result = shardGradients(model, message.objective, message.step, message.stepSeed, message.slice);
      port.postMessage(
        result,
        result.grads.map((g) => g.buffer as ArrayBuffer),
      );
    } catch (err) {
      port.postMessage({ error: (err as Error).stack ?? String(err) });
    }
  },
);
port.postMessage({ ready: true });
