import { InputError } from '../io/input-error.ts';
import { anyModelDefinition, SEQUENCE_MODELS } from '../models/registry.ts';

/**
 * Named starting configs for `untangle train --preset NAME` (flags, --config and --set override them).
 * A preset sets only what differs from the defaults: the config's (disentanglement_lib's training,
 * src/run/config.ts) and the model's own (its options schema). The numbers live in each model's
 * definition (src/models/<model>.ts):
 * - `dlib`: disentanglement_lib's unsupervised study (Locatello et al. 2019; its
 *   `unsupervised_study_v1` sweep): the model's hyperparameter at `--sweep-index` of its `dlibSweep`.
 * - `paper`: the dSprites settings of the model's own paper (its `paper` preset, source cited there).
 * - `lecture-mnist`: the lecture's MNIST VAE — MLP 784-256-64 encoder, latent 2, mirrored Bernoulli
 *   decoder 64-256-784 (`--set latentDim=50` for the t-SNE/UMAP lecture figure).
 */
export const PRESET_NAMES = ['dlib', 'paper', 'lecture-mnist'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/**
 * The lecture's MNIST VAE (after Kingma & Welling 2014, §5: MLP encoder/decoder, Bernoulli decoder on
 * grey values read as probabilities, minibatch 100); Adam 1e-3 instead of their Adagrad.
 */
const LECTURE_MNIST = {
  dataset: 'mnist',
  architecture: 'mlp',
  hidden: [256, 64],
  latentDim: 2,
  batchSize: 100,
  learningRate: 1e-3,
  steps: 10_000,
  logEvery: 50,
};

/** The config keys a preset sets for `model` (the defaults stand for everything else). */
export function presetConfig(name: string, model: string, sweepIndex = 0): Record<string, unknown> {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`--preset ${name}: unknown preset, expected one of ${PRESET_NAMES.join(', ')}`);
  }
  const definition = anyModelDefinition(model);
  if (name === 'paper') return { ...definition.paper?.config, model };
  if (Object.hasOwn(SEQUENCE_MODELS, model))
    throw new InputError(`--preset ${name}: ${model} is a sequence model, its one preset is paper`);
  if (name === 'lecture-mnist') return { ...LECTURE_MNIST, model };
  const modelOptions: Record<string, number> = {};
  for (const [key, values] of Object.entries(definition.dlibSweep)) {
    if (!Number.isInteger(sweepIndex) || sweepIndex < 0 || sweepIndex >= values.length) {
      throw new InputError(
        `--sweep-index ${sweepIndex}: ${model}'s disentanglement_lib sweep of ${key} has ${values.length} values (${values.join(', ')}), expected 0..${values.length - 1}`,
      );
    }
    modelOptions[key] = values[sweepIndex];
  }
  return { model, modelOptions };
}

/** Where a paper preset's numbers come from, for --help and docs. */
export function paperSource(model: string): string | undefined {
  return anyModelDefinition(model).paper?.source;
}
