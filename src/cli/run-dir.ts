import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { makeOutputDir } from '../io/out-dir.ts';
import type { TrainConfig } from '../run/config.ts';
import { CONFIG_FILE } from '../run/load-run.ts';
import { UsageError } from './errors.ts';

/** Creates a run folder, refusing to touch an existing non-empty one unless told to overwrite it. */
export async function prepareRunDir(dir: string, overwrite: boolean): Promise<void> {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!overwrite) {
      throw new UsageError(
        `run folder ${dir} already exists and is not empty: pass --overwrite to replace it, or choose another --out`,
      );
    }
    await rm(dir, { recursive: true, force: true });
  }
  await makeOutputDir(dir);
}

export async function saveRunConfig(dir: string, config: TrainConfig): Promise<void> {
  await writeFileAtomic(join(dir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}
