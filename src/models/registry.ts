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

export function modelDefinition(name: string): ModelDefinition {
  const definition = Object.hasOwn(MODELS, name) ? MODELS[name] : undefined;
  if (definition == null)
    throw new InputError(`unknown model "${name}": expected one of ${Object.keys(MODELS).join(', ')}`);
  return definition;
}

/** The latent layout of a resolved config's model (what training writes as latent.json). */
export function latentLayout(config: {
  model: string;
  latentDim: number;
  modelOptions: Record<string, unknown>;
}): LatentLayout {
  return layoutOf(modelDefinition(config.model), config.modelOptions, config.latentDim);
}
