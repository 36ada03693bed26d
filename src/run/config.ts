import { z } from 'zod';
import { BACKENDS } from '../engine/backend.ts';
import { excerpt } from '../io/excerpt.ts';
import { InputError } from '../io/input-error.ts';
import type { FhvaeOptions } from '../models/fhvae.ts';
import { modelDefinition, SEQUENCE_MODELS } from '../models/registry.ts';
import { ARCHITECTURES } from '../nets/registry.ts';

// Bounds far above any published setting, so a typo (1e8) is refused before gigabytes are allocated
const MAX_BATCH = 8192;
const MAX_LATENT = 1024;
const MAX_HIDDEN = 8192;

/** How the weights are updated (src/train/update/): `auto` picks by backend (webgpu: device). */
export const UPDATE_STRATEGIES = ['auto', 'shared-memory', 'device'] as const;

/**
 * The keys every run has, whatever it trains on. The defaults are disentanglement_lib's training
 * (its model.gin of the unsupervised study, Locatello et al. 2019: 300k steps, batch 64, Adam 1e-4
 * (0.9, 0.999, 1e-8)); `--preset dlib` adds only the model's sweep value.
 */
const common = {
  model: z.string().default('beta-vae'),
  dataset: z.string().default('dsprites'),
  /** the files a dataset reads (images: a PNG folder or .npy; fashion-mnist: its IDX folder; speech: a corpus folder) */
  dataPath: z.string().optional(),
  steps: z.number().int().positive().default(300_000),
  seed: z.number().int().min(0).max(0xffffffff).default(0),
  batchSize: z.number().int().positive().max(MAX_BATCH).default(64),
  learningRate: z.number().positive().default(1e-4),
  adamBeta1: z.number().min(0).lt(1).default(0.9),
  adamBeta2: z.number().min(0).lt(1).default(0.999),
  adamEpsilon: z.number().positive().default(1e-8),
  checkpointEvery: z.number().int().positive().default(1000),
  logEvery: z.number().int().positive().default(10),
  backend: z.enum(BACKENDS).default('wasm'),
  /** worker threads that split each batch (data parallel, shared-memory update); 1 trains in this thread */
  threads: z.number().int().min(1).max(64).default(1),
  update: z.enum(UPDATE_STRATEGIES).default('auto'),
  /** the model's own options (β, γ, C_max, ...), validated by the model */
  modelOptions: z
    .record(z.string(), z.unknown(), { error: 'expected an object of model options, e.g. {"beta": 4}' })
    .default({}),
};

/** A run of an image model on a GroundTruthData; the resolved copy is saved as config.json. */
export const trainConfigSchema = z
  .object({
    ...common,
    /** dataset variant, e.g. dsprites: binary | color | noisy */
    variant: z.string().optional(),
    /** images: an .npy of [n] or [n, k] integer factors, one row per image */
    factorsPath: z.string().optional(),
    latentDim: z.number().int().positive().max(MAX_LATENT).default(10),
    architecture: z.enum(ARCHITECTURES).default('conv64'),
    innerKernel: z.union([z.literal(2), z.literal(4)]).default(2),
    hidden: z.array(z.number().int().positive().max(MAX_HIDDEN)).min(1).max(8).default([256, 64]),
  })
  .strict();

/** A run of a sequence model (the FHVAE) on a speech corpus: its extension of the common keys. */
export const sequenceConfigSchema = z
  .object({
    ...common,
    model: z.literal('fhvae'),
    dataset: z.literal('speech').default('speech'),
    /** feature bins per frame and training sequences (μ2 table rows): filled in from the corpus */
    bins: z.number().int().positive().optional(),
    sequences: z.number().int().positive().optional(),
    steps: z.number().int().positive().default(20_000),
    /** segments per step (the authors: 256) */
    batchSize: z.number().int().positive().max(MAX_BATCH).default(256),
    /** Adam as the authors train the FHVAE: 1e-3, β1 0.95, β2 0.999 */
    learningRate: z.number().positive().default(1e-3),
    adamBeta1: z.number().min(0).lt(1).default(0.95),
    /** frames between the starts of training segments (the authors: 8) */
    segmentShift: z.number().int().positive().default(8),
    /**
     * hierarchical sampling (Hsu & Glass 2018): sequences per round (their default 5000); a corpus with
     * no more training sequences than this trains on all of them, without rounds
     */
    sequencesPerRound: z.number().int().positive().default(5000),
    /** steps per round; default: one pass over the round's segments */
    roundSteps: z.number().int().positive().optional(),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;
/** modelOptions: parsed by the FHVAE definition's schema (src/models/fhvae.ts), in resolveConfig */
export type SequenceTrainConfig = Omit<z.infer<typeof sequenceConfigSchema>, 'modelOptions'> & {
  modelOptions: FhvaeOptions;
};
export type RunConfig = TrainConfig | SequenceTrainConfig;

export const isSequenceConfig = (config: RunConfig): config is SequenceTrainConfig =>
  config.model === 'fhvae';

const schemaOf = (model: unknown) => (model === 'fhvae' ? sequenceConfigSchema : trainConfigSchema);

/**
 * Validates any run's config (the model's own options included) and fills in every default. A config
 * written before the one trainer named an FHVAE's corpus `corpus`: it is read as `dataPath`.
 */
export function resolveConfig(input: unknown): RunConfig {
  let raw = input as Record<string, unknown>;
  if (raw != null && typeof raw === 'object' && 'corpus' in raw) {
    const { corpus, ...rest } = raw;
    raw = { ...rest, dataPath: rest.dataPath ?? corpus };
  }
  const parsed = schemaOf(raw?.model).safeParse(raw);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const config = parsed.data;
  // the one place a model's options are parsed: everything downstream gets these
  const definition = config.model === 'fhvae' ? SEQUENCE_MODELS.fhvae : modelDefinition(config.model);
  const options = definition.options.safeParse(config.modelOptions);
  if (!options.success) throw new ConfigError(formatIssues(options.error, 'modelOptions.'));
  return { ...config, modelOptions: options.data } as RunConfig;
}

/** resolveConfig for an image model's run. */
export function resolveTrainConfig(input: unknown): TrainConfig {
  const config = resolveConfig(input);
  if (isSequenceConfig(config))
    throw new ConfigError('model fhvae trains on a speech corpus, not on images: --dataset speech');
  return config;
}

/** resolveConfig for a sequence model's run; with a corpus, fills in (or checks) its sizes. */
export function resolveSequenceConfig(
  input: unknown,
  corpus?: { bins: number; train: readonly unknown[] },
): SequenceTrainConfig {
  const config = resolveConfig({ model: 'fhvae', ...(input as object) });
  if (!isSequenceConfig(config)) throw new ConfigError(`model ${config.model} is not a sequence model`);
  if (corpus == null) return config;
  for (const [key, value] of [
    ['bins', corpus.bins],
    ['sequences', corpus.train.length],
  ] as const) {
    if (config[key] != null && config[key] !== value) {
      throw new ConfigError(
        `the run was trained with ${key} = ${config[key]}, the corpus has ${value}: use the corpus it was trained on`,
      );
    }
  }
  return { ...config, bins: corpus.bins, sequences: corpus.train.length };
}

export class ConfigError extends InputError {
  override name = 'ConfigError';
}

function formatIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => `${prefix}${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Applies `key=value` overrides to a config object. Values parse as JSON where they can (numbers,
 * booleans, arrays), else stay strings; a key that is not a config key of the run's model but one of
 * the model's options (`beta=8`, `alpha=0`) goes into modelOptions.
 */
export function applyOverrides(
  config: Record<string, unknown>,
  overrides: readonly string[],
): Record<string, unknown> {
  const given = config.modelOptions;
  const isObject = typeof given === 'object' && given !== null && !Array.isArray(given);
  // anything but an object is left as it is, for the schema to name (spreading "x" would give {0: "x"})
  const out: Record<string, unknown> = { ...config, modelOptions: isObject ? { ...given } : (given ?? {}) };
  const options = (): Record<string, unknown> => {
    if (typeof out.modelOptions !== 'object' || out.modelOptions === null || Array.isArray(out.modelOptions))
      throw new ConfigError(
        `modelOptions: expected an object of model options, e.g. {"beta": 4}, got ${excerpt(JSON.stringify(out.modelOptions) ?? '')}`,
      );
    return out.modelOptions as Record<string, unknown>;
  };
  const keys = schemaOf(config.model).shape;
  for (const assignment of overrides) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${assignment}: expected key=value`);
    const key = assignment.slice(0, eq);
    const value = parseValue(assignment.slice(eq + 1));
    if (key.startsWith('modelOptions.')) {
      options()[key.slice('modelOptions.'.length)] = value;
    } else if (key in keys && key !== 'modelOptions') {
      out[key] = value;
    } else {
      options()[key] = value;
    }
  }
  return out;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
