import type { GroundTruthData } from '../data/ground-truth.ts';
import { datasetOfConfig, observationCount } from '../data/registry.ts';
import { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import type { Model } from '../models/model.ts';
import { modelEntry } from '../models/registry.ts';
import { buildVaeNets } from '../nets/registry.ts';
import { Adam } from './adam.ts';
import type { TrainConfig } from './config.ts';
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

export function buildModel(config: TrainConfig, data: GroundTruthData, rng: Rng): Model {
  const entry = modelEntry(config.model);
  const discreteSizes = entry.discreteSizes?.(config.modelOptions) ?? [];
  const [height, width] = data.observationShape;
  if (config.architecture === 'conv64' && (height !== 64 || width !== 64)) {
    throw new InputError(
      `dataset ${data.name} has ${height}x${width} images, the conv64 nets need 64x64: train it with architecture mlp (--set architecture=mlp)`,
    );
  }
  const nets = buildVaeNets(
    {
      architecture: config.architecture,
      latentDim: config.latentDim,
      imageShape: data.observationShape,
      innerKernel: config.innerKernel,
      hidden: config.hidden,
      discreteDim: discreteSizes.reduce((a, b) => a + b, 0),
      discreteLogits: entry.encodesDiscrete !== false,
    },
    rng,
  );
  const optimizer = {
    learningRate: config.learningRate,
    beta1: config.adamBeta1,
    beta2: config.adamBeta2,
    epsilon: config.adamEpsilon,
  };
  const datasetSize = observationCount(data);
  const factors = { names: data.factorNames, sizes: data.factorSizes };
  const build = { nets, latentDim: config.latentDim, optimizer, rng, datasetSize, factors };
  return entry.create(build, config.modelOptions);
}
