import type { GroundTruthData } from '../data/ground-truth.ts';
import { datasetOfConfig } from '../data/registry.ts';
import { Rng } from '../engine/rng.ts';
import type { Model } from '../models/model.ts';
import { buildModel } from '../run/build-model.ts';
import type { TrainConfig } from '../run/config.ts';
import { Adam } from './adam.ts';
import { ParameterStore } from './parameters.ts';

/** One objective's optimizer and the store positions of the variables it updates. */
export interface ObjectiveState {
  optimizer: Adam;
  indices: number[];
}

/** The objects one run trains: data, model, its flat weights, one Adam per objective, the run's RNG. */
export interface Session {
  config: TrainConfig;
  data: GroundTruthData;
  model: Model;
  store: ParameterStore;
  objectives: ObjectiveState[];
  rng: Rng;
}

/** Builds a run from its resolved config; the same config always builds the same initial state. */
export function buildSession(config: TrainConfig): Session {
  const rng = new Rng(config.seed);
  const data = datasetOfConfig(config);
  const model = buildModel(config, data, rng);
  const store = new ParameterStore(model);
  const objectives = model.objectives.map((o) => {
    const indices = store.indicesOf(o.variables());
    return {
      indices,
      optimizer: new Adam(
        indices.map((i) => store.sizes[i]),
        o.optimizer,
      ),
    };
  });
  return { config, data, model, store, objectives, rng };
}
