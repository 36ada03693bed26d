import type { GroundTruthData } from '../data/ground-truth.ts';
import { observationCount } from '../data/registry.ts';
import type { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { decoderInputWidth } from '../models/latent-layout.ts';
import type { Model } from '../models/model.ts';
import { latentLayout, modelDefinition } from '../models/registry.ts';
import { buildVaeNets } from '../nets/registry.ts';
import type { TrainConfig } from './config.ts';

/**
 * The model a resolved config describes (its modelOptions parsed by resolveConfig, not again here), its
 * weights initialised from `rng` (the run's seed); the nets are sized by the model's latent layout.
 */
export function buildModel(config: TrainConfig, data: GroundTruthData, rng: Rng): Model {
  const definition = modelDefinition(config.model);
  const layout = latentLayout(config);
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
      discreteDim: decoderInputWidth(layout) - layout.continuous,
      discreteLogits: layout.discrete.every((d) => d.inferred === 'encoder'),
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
  return definition.create(build, config.modelOptions);
}
