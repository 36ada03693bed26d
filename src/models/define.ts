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
 * Everything the project knows about one model, in its own file: the options schema with its defaults,
 * the presets, the latent layout and how to build the model. The registry (registry.ts) lists
 * definitions; the config (src/run/config.ts) parses a run's options with `options` once, and `create`
 * and `latent` receive those parsed options. An image model is built on a `ModelBuild` (its VAE nets,
 * sized by the layout) into a `Model`; a sequence model (the FHVAE) says its own build `B` and model `M`.
 */
export interface ModelDefinition<S extends z.ZodObject = z.ZodObject, B = ModelBuild, M = Model> {
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
  /**
   * where the model differs from the default layout: the config's `latentDim` Gaussian dims, no discrete
   * latents, Bernoulli p(x|z), one group; a model whose options size its latents says `continuous`
   */
  latent?(
    options: z.output<S>,
  ): Partial<Pick<LatentLayout, 'continuous' | 'code' | 'discrete' | 'decoder' | 'groups'>>;
  /** the model, its nets and objectives, from parsed options */
  create(build: B, options: z.output<S>): M;
}

/** A model's definition, its defaults computed from the schema. */
export function defineModel<S extends z.ZodObject, B = ModelBuild, M = Model>(
  definition: Omit<ModelDefinition<S, B, M>, 'defaults' | 'dlibSweep'> & {
    dlibSweep?: ModelDefinition['dlibSweep'];
  },
): ModelDefinition<S, B, M> {
  return { dlibSweep: {}, ...definition, defaults: definition.options.parse({}) };
}

/** The latent layout of a model with parsed options (and the config's `latentDim`, for an image model). */
export function layoutOf(
  definition: Pick<ModelDefinition, 'name' | 'latent'>,
  options: Record<string, unknown>,
  latentDim?: number,
): LatentLayout {
  const { continuous = latentDim, groups, ...own } = definition.latent?.(options) ?? {};
  if (continuous == null) throw new Error(`model ${definition.name}: no latentDim and no layout of its own`);
  return {
    model: definition.name,
    continuous,
    code: own.code ?? 'gaussian',
    discrete: own.discrete ?? [],
    decoder: own.decoder ?? 'bernoulli',
    ...(groups ? { groups } : {}),
  };
}
