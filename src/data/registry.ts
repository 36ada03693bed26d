import { InputError } from '../io/input-error.ts';
import { createDSprites } from './dsprites.ts';
import type { GroundTruthData } from './ground-truth.ts';

/** Every dataset by its CLI name; a new dataset is one file and one line here. */
export const DATASETS: Record<string, { description: string; create(variant?: string): GroundTruthData }> = {
  dsprites: {
    description: 'procedural dSprites: 737,280 binary 64x64 sprites (variants: binary, color, noisy)',
    create: (variant) => {
      if (variant != null && !['binary', 'color', 'noisy'].includes(variant)) {
        throw new InputError(
          `dataset dsprites: unknown variant "${variant}", expected binary, color or noisy`,
        );
      }
      return createDSprites({ variant: (variant ?? 'binary') as 'binary' | 'color' | 'noisy' });
    },
  },
};

export function createDataset(name: string, variant?: string): GroundTruthData {
  const entry = DATASETS[name];
  if (entry == null)
    throw new InputError(`unknown dataset "${name}": expected one of ${Object.keys(DATASETS).join(', ')}`);
  return entry.create(variant);
}
