import { z } from 'zod';
import { BACKENDS } from '../engine/backend.ts';
import { excerpt } from '../io/excerpt.ts';
import { InputError } from '../io/input-error.ts';
import { modelEntry } from '../models/registry.ts';
import { ARCHITECTURES } from '../nets/registry.ts';

// Bounds far above any published setting, so a typo (1e8) is refused before gigabytes are allocated
const MAX_BATCH = 8192;
const MAX_LATENT = 1024;
const MAX_HIDDEN = 8192;

/** A training run's whole configuration; the resolved copy is saved as config.json in the run folder. */
export const trainConfigSchema = z
  .object({
    model: z.string().default('beta-vae'),
    dataset: z.string().default('dsprites'),
    /** dataset variant, e.g. dsprites: binary | color | noisy */
    variant: z.string().optional(),
    /** the files a dataset reads (images: a PNG folder or .npy; fashion-mnist: its IDX folder) */
    dataPath: z.string().optional(),
    /** images: an .npy of [n] or [n, k] integer factors, one row per image */
    factorsPath: z.string().optional(),
    steps: z.number().int().positive().default(300_000),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    batchSize: z.number().int().positive().max(MAX_BATCH).default(64),
    learningRate: z.number().positive().default(1e-4),
    adamBeta1: z.number().min(0).lt(1).default(0.9),
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    adamEpsilon: z.number().positive().default(1e-8),
    latentDim: z.number().int().positive().max(MAX_LATENT).default(10),
    architecture: z.enum(ARCHITECTURES).default('conv64'),
    innerKernel: z.union([z.literal(2), z.literal(4)]).default(2),
    hidden: z.array(z.number().int().positive().max(MAX_HIDDEN)).min(1).max(8).default([256, 64]),
    checkpointEvery: z.number().int().positive().default(1000),
    logEvery: z.number().int().positive().default(10),
    backend: z.enum(BACKENDS).default('wasm'),
    /** worker threads that split each batch (data parallel); 1 trains in this thread */
    threads: z.number().int().min(1).max(64).default(1),
    /** the model's own options (β, γ, C_max, ...), validated by the model */
    modelOptions: z
      .record(z.string(), z.unknown(), { error: 'expected an object of model options, e.g. {"beta": 4}' })
      .default({}),
  })
  .strict();

export type TrainConfig = z.infer<typeof trainConfigSchema>;

/** Validates a config (the model's own options included) and fills in every default. */
export function resolveTrainConfig(input: unknown): TrainConfig {
  const parsed = trainConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error));
  const config = parsed.data;
  const entry = modelEntry(config.model);
  const options = entry.options.safeParse(config.modelOptions);
  if (!options.success) throw new ConfigError(formatIssues(options.error, 'modelOptions.'));
  return { ...config, modelOptions: options.data };
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
 * booleans, arrays), else stay strings; a key that is not a config key but one of the model's options
 * (`beta=8`) goes into modelOptions.
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
  for (const assignment of overrides) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new ConfigError(`--set ${assignment}: expected key=value`);
    const key = assignment.slice(0, eq);
    const value = parseValue(assignment.slice(eq + 1));
    if (key.startsWith('modelOptions.')) {
      options()[key.slice('modelOptions.'.length)] = value;
    } else if (key in trainConfigSchema.shape) {
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
