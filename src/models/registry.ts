import { InputError } from '../io/input-error.ts';
import { annealedVae } from './annealed-vae.ts';
import { autoencoder } from './autoencoder.ts';
import { betaTcVae } from './beta-tcvae.ts';
import { betaVae } from './beta-vae.ts';
import { cascadeVae } from './cascade-vae.ts';
import { layoutOf, type ModelDefinition } from './define.ts';
import { dipVaeI, dipVaeII } from './dip-vae.ts';
import { factorVae } from './factor-vae.ts';
import { fairVae } from './fair-vae.ts';
import { fhvae } from './fhvae.ts';
import { jointVae } from './joint-vae.ts';
import type { LatentLayout } from './latent-layout.ts';
import { semiSupervisedVae } from './semi-supervised-vae.ts';
import { vae } from './vae.ts';

/** Every trainable image model by its CLI name; a new model is one file (its definition) and one line here. */
export const MODELS: Record<string, ModelDefinition> = Object.fromEntries(
  [
    vae,
    betaVae,
    annealedVae,
    betaTcVae,
    factorVae,
    dipVaeI,
    dipVaeII,
    jointVae,
    cascadeVae,
    semiSupervisedVae,
    fairVae,
    autoencoder,
  ].map((definition) => [definition.name, definition as ModelDefinition]),
);

/** Every sequence model by its CLI name: trained on a speech corpus (src/train/tasks/sequence.ts). */
export const SEQUENCE_MODELS = { fhvae } as const;

const isSequenceModel = (name: string): name is keyof typeof SEQUENCE_MODELS =>
  Object.hasOwn(SEQUENCE_MODELS, name);

/** An image model's definition by name (an unknown name is an InputError naming the choices). */
export function modelDefinition(name: string): ModelDefinition {
  const definition = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (definition == null)
    throw new InputError(`unknown model "${name}": expected one of ${Object.keys(MODELS).join(', ')}`);
  return definition;
}

/** Any model's definition, image or sequence, by name (for what both kinds have: presets, the layout). */
export function anyModelDefinition(
  name: string,
): Pick<ModelDefinition, 'name' | 'latent' | 'paper' | 'dlibSweep'> {
  return isSequenceModel(name)
    ? (SEQUENCE_MODELS[name] as unknown as ModelDefinition)
    : modelDefinition(name);
}

/** The latent layout of a resolved config's model (what training writes as latent.json). */
export function latentLayout(config: {
  model: string;
  latentDim?: number;
  modelOptions: Record<string, unknown>;
}): LatentLayout {
  return layoutOf(anyModelDefinition(config.model), config.modelOptions, config.latentDim);
}
