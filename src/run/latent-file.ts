import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import { readJson } from '../io/read-json.ts';
import { DECODER_DISTRIBUTIONS, type LatentLayout } from '../models/latent-layout.ts';
import { latentLayout } from '../models/registry.ts';
import { resolveConfig } from './config.ts';

/** A run's latent layout (src/models/latent-layout.ts), written by training beside config.json. */
export const LATENT_FILE = 'latent.json';

const latentSchema = z
  .object({
    model: z.string(),
    continuous: z.number().int().nonnegative(),
    code: z.enum(['gaussian', 'deterministic']),
    discrete: z.array(
      z.object({ size: z.number().int().min(2), inferred: z.enum(['encoder', 'reconstruction']) }).strict(),
    ),
    decoder: z.enum(DECODER_DISTRIBUTIONS),
    groups: z
      .array(
        z
          .object({
            name: z.string(),
            dims: z.number().int().positive(),
            level: z.enum(['segment', 'sequence']),
            priorMean: z.enum(['zero', 'sequence-table']),
            priorVariance: z.number().positive(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict()
  .refine((l) => l.groups == null || l.groups.reduce((sum, g) => sum + g.dims, 0) === l.continuous, {
    message: "the groups' dims must add up to continuous",
    path: ['groups'],
  });

/** Writes latent.json into the run folder, atomically. */
export async function writeLatentFile(runDir: string, layout: LatentLayout): Promise<void> {
  await writeFileAtomic(join(runDir, LATENT_FILE), `${JSON.stringify(layout, null, 2)}\n`);
}

/** The layout a run's config.json describes (null: not a model of the registry, or no valid config). */
export function derivedLatentLayout(config: unknown): LatentLayout | null {
  try {
    return latentLayout(resolveConfig(config));
  } catch (err) {
    if (err instanceof InputError) return null;
    throw err;
  }
}

/**
 * A run's latent layout: its latent.json, or for a run trained before training wrote one, derived from
 * its config by the same model definitions. A latent.json that is not a layout is an InputError.
 */
export async function readLatentLayout(
  runDir: string,
  config: unknown,
): Promise<{ layout: LatentLayout; source: 'latent.json' | 'config' } | null> {
  const path = join(runDir, LATENT_FILE);
  if (!existsSync(path)) {
    const layout = derivedLatentLayout(config);
    return layout && { layout, source: 'config' };
  }
  const parsed = latentSchema.safeParse(await readJson(path));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { layout: parsed.data, source: 'latent.json' };
}
