import { join } from 'node:path';
import type { GroundTruthData } from '../data/ground-truth.ts';
import { datasetOfConfig } from '../data/registry.ts';
import { type BackendName, useBackend } from '../engine/backend.ts';
import { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { readJson } from '../io/read-json.ts';
import type { Model } from '../models/model.ts';
import { buildModel } from './build-model.ts';
import { readCheckpoint } from './checkpoint.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';

export const CONFIG_FILE = 'config.json';

/** The resolved config of an existing run folder. */
export async function loadRunConfig(runDir: string): Promise<TrainConfig> {
  const path = join(runDir, CONFIG_FILE);
  const raw = await readJson(path, `${runDir} is not a run folder: it has no readable ${CONFIG_FILE}`);
  try {
    return resolveTrainConfig(raw);
  } catch (err) {
    throw new InputError(`${path}: ${(err as Error).message}`);
  }
}

/** A trained run's model (weights from its checkpoint) and dataset, for pictures and evaluation. */
export async function loadRun(
  runDir: string,
  backend?: BackendName,
): Promise<{ config: TrainConfig; model: Model; data: GroundTruthData }> {
  const config = await loadRunConfig(runDir);
  await useBackend(backend ?? config.backend);
  const data = datasetOfConfig(config);
  const model = buildModel(config, data, new Rng(config.seed));
  await readCheckpoint(runDir, model);
  return { config, model, data };
}
