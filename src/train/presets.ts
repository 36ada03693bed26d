import { InputError } from '../io/input-error.ts';
import { modelEntry } from '../models/registry.ts';

/**
 * Named starting configs for `untangle train --preset NAME` (flags, --config and --set override them):
 * - `dlib`: disentanglement_lib's unsupervised study — its training settings and, for the model's
 *   hyperparameter, the value at `--sweep-index` of its sweep (β, γ, C_max, λ_od ...).
 * - `paper`: the dSprites settings each model's own paper reports.
 * - `lecture-mnist`: the lecture's MNIST VAE — MLP 784-256-64 encoder, latent 2, mirrored Bernoulli
 *   decoder 64-256-784 (`--set latentDim=50` for the t-SNE/UMAP lecture figure).
 */
export const PRESET_NAMES = ['dlib', 'paper', 'lecture-mnist'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** disentanglement_lib's model.gin training settings, shared by every model of the study. */
const DLIB_TRAINING = {
  steps: 300_000,
  batchSize: 64,
  learningRate: 1e-4,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  latentDim: 10,
  architecture: 'conv64',
  innerKernel: 2,
};

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
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  adamEpsilon: 1e-8,
  steps: 10_000,
  logEvery: 50,
};

/** Each paper's dSprites settings (what differs from disentanglement_lib's training). */
const PAPER_DSPRITES: Record<string, { source: string; config: Record<string, unknown> }> = {
  vae: { source: 'Kingma & Welling 2014 (dSprites as in Higgins et al. 2017)', config: {} },
  'beta-vae': { source: 'Higgins et al. 2017, dSprites: β = 4', config: { modelOptions: { beta: 4 } } },
  'annealed-vae': {
    source: 'Burgess et al. 2018, dSprites: γ = 1000, C to 25 nats over 100k steps, Adam 5e-4',
    config: { learningRate: 5e-4, modelOptions: { gamma: 1000, capacityMax: 25, capacitySteps: 100_000 } },
  },
  'beta-tcvae': {
    source: 'Chen et al. 2018, dSprites: α = γ = 1, β = 6, minibatch-weighted sampling',
    config: { modelOptions: { alpha: 1, beta: 6, gamma: 1, estimator: 'mws' } },
  },
  'factor-vae': {
    source:
      'Kim & Mnih 2018, dSprites: γ = 35, VAE Adam 1e-4 (0.9, 0.999), discriminator Adam 1e-4 (0.5, 0.9)',
    config: { modelOptions: { gamma: 35 } },
  },
  'dip-vae-i': {
    source: 'Kumar et al. 2018, dSprites: λ_od = 10, λ_d = 100',
    config: { modelOptions: { lambdaOffDiagonal: 10, lambdaDiagonal: 100 } },
  },
  'dip-vae-ii': {
    source: 'Kumar et al. 2018: λ_od = λ_d = 10',
    config: { modelOptions: { lambdaOffDiagonal: 10, lambdaDiagonal: 10 } },
  },
  'joint-vae': {
    source:
      'Dupont 2018, dSprites: 6 continuous dims, one 3-way discrete, C_z → 40, C_c → 1.1 over 300k, γ 150, τ 0.67, Adam 5e-4',
    config: { latentDim: 6, learningRate: 5e-4 },
  },
  'cascade-vae': {
    source:
      'Jeong & Song 2019, dSprites: 6 continuous dims, 3 categories, β_h 10, β_l 2, a dim relieved every 20k steps',
    config: { latentDim: 6 },
  },
};

/** The config keys a preset sets for `model` (the model's own defaults stand where a paper is silent). */
export function presetConfig(name: string, model: string, sweepIndex = 0): Record<string, unknown> {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new InputError(`--preset ${name}: unknown preset, expected one of ${PRESET_NAMES.join(', ')}`);
  }
  const entry = modelEntry(model);
  if (name === 'lecture-mnist') return { ...LECTURE_MNIST, model };
  if (name === 'paper') {
    const paper = PAPER_DSPRITES[model] ?? { config: {} };
    return { ...DLIB_TRAINING, ...paper.config, model };
  }
  const modelOptions: Record<string, number> = {};
  for (const [key, values] of Object.entries(entry.dlibSweep)) {
    if (!Number.isInteger(sweepIndex) || sweepIndex < 0 || sweepIndex >= values.length) {
      throw new InputError(
        `--sweep-index ${sweepIndex}: ${model}'s disentanglement_lib sweep of ${key} has ${values.length} values (${values.join(', ')}), expected 0..${values.length - 1}`,
      );
    }
    modelOptions[key] = values[sweepIndex];
  }
  return { ...DLIB_TRAINING, model, modelOptions };
}

/** Where a paper preset's numbers come from, for --help and docs. */
export function paperSource(model: string): string | undefined {
  return PAPER_DSPRITES[model]?.source;
}
