import type { z } from 'zod';
import type { ModelBuild } from './gaussian-vae.ts';
import type { LatentLayout } from './latent-layout.ts';
import type { Model } from './model.ts';

/** Config keys a preset sets: only what differs from the config's and the model's defaults. */
export interface Preset {
  /** where the numbers come from (paper, section, table) */
  source: string;
  /** config keys (`learningRate`, `latentDim`) and `modelOptions` */
  config: Record<string, unknown> & { modelOptions?: Record<string, unknown> };
}

/**
 * Everything the project knows about one image model, in its own file: the options schema with its
 * defaults, the presets, the latent layout and how to build the model. The registry (registry.ts) lists
 * definitions; the config (src/run/config.ts) parses a run's options with `options` once, and `create`
 * and `latent` receive those parsed options.
 */
export interface ModelDefinition<S extends z.ZodObject = z.ZodObject> {
  /** registry and CLI name, e.g. `beta-vae` */
  name: string;
  description: string;
  /** the model's own options, a strict zod schema whose defaults are the model's defaults */
  options: S;
  /** `options` parsed from {}: every default, computed once */
  defaults: z.output<S>;
  /** disentanglement_lib's sweep of the model's hyperparameter (`--preset dlib --sweep-index i`) */
  dlibSweep: Record<string, readonly number[]>;
  /** the settings of the model's own paper (`--preset paper`) */
  paper?: Preset;
  /** where the model differs from the default layout: a Gaussian code, no discrete latents, Bernoulli p(x|z) */
  latent?(options: z.output<S>): Partial<Pick<LatentLayout, 'code' | 'discrete' | 'decoder'>>;
  /** the model on built nets, from parsed options */
  create(build: ModelBuild, options: z.output<S>): Model;
}

/** A model's definition, its defaults computed from the schema. */
export function defineModel<S extends z.ZodObject>(
  definition: Omit<ModelDefinition<S>, 'defaults' | 'dlibSweep'> & {
    dlibSweep?: ModelDefinition['dlibSweep'];
  },
): ModelDefinition<S> {
  return { dlibSweep: {}, ...definition, defaults: definition.options.parse({}) };
}

/** The latent layout of a model with parsed options and `latentDim` continuous dims. */
export function layoutOf(
  definition: ModelDefinition,
  options: Record<string, unknown>,
  latentDim: number,
): LatentLayout {
  const own = definition.latent?.(options) ?? {};
  return {
    model: definition.name,
    continuous: latentDim,
    code: own.code ?? 'gaussian',
    discrete: own.discrete ?? [],
    decoder: own.decoder ?? 'bernoulli',
  };
}
