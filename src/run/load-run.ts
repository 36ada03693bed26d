import { join } from 'node:path';
import type { GroundTruthData } from '../data/ground-truth.ts';
import { datasetOfConfig } from '../data/registry.ts';
import { type BackendName, inferenceBackend, useBackend } from '../engine/backend.ts';
import { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import { readJson } from '../io/read-json.ts';
import { createFhvae, type Fhvae } from '../models/fhvae.ts';
import type { Model } from '../models/model.ts';
import { buildModel } from './build-model.ts';
import { readCheckpoint } from './checkpoint.ts';
import {
  isSequenceConfig,
  type RunConfig,
  resolveConfig,
  type SequenceTrainConfig,
  type TrainConfig,
} from './config.ts';

export const CONFIG_FILE = 'config.json';

/** The resolved config of an existing run folder, of any model. */
export async function loadAnyRunConfig(runDir: string): Promise<RunConfig> {
  const path = join(runDir, CONFIG_FILE);
  const raw = await readJson(path, `${runDir} is not a run folder: it has no readable ${CONFIG_FILE}`);
  try {
    return resolveConfig(raw);
  } catch (err) {
    throw new InputError(`${path}: ${(err as Error).message}`);
  }
}

/** The resolved config of an image model's run folder. */
export async function loadRunConfig(runDir: string): Promise<TrainConfig> {
  const config = await loadAnyRunConfig(runDir);
  if (isSequenceConfig(config))
    throw new InputError(`${join(runDir, CONFIG_FILE)}: an FHVAE run, not an image model's`);
  return config;
}

/** Writes a run's resolved config (config.json), atomically. */
export async function saveRunConfig(runDir: string, config: RunConfig): Promise<void> {
  await writeFileAtomic(join(runDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

/**
 * A trained run's model (weights from its checkpoint) and dataset, for pictures and evaluation, on the
 * backend's inference backend: a webgpu run (or `--backend webgpu`) is encoded and decoded on wasm,
 * which reads results synchronously; the checkpoint format is the same on every backend.
 */
export async function loadRun(
  runDir: string,
  backend?: BackendName,
): Promise<{ config: TrainConfig; model: Model; data: GroundTruthData }> {
  const config = await loadRunConfig(runDir);
  await useBackend(inferenceBackend(backend ?? config.backend));
  const data = datasetOfConfig(config);
  const model = buildModel(config, data, new Rng(config.seed));
  await readCheckpoint(runDir, model);
  return { config, model, data };
}

/** A trained FHVAE run with its checkpoint's weights (and the checkpoint's step), for encoding and pictures. */
export async function loadFhvaeRun(
  runDir: string,
): Promise<{ config: SequenceTrainConfig; model: Fhvae; step: number }> {
  const config = await loadAnyRunConfig(runDir);
  if (!isSequenceConfig(config))
    throw new InputError(`${join(runDir, CONFIG_FILE)}: a ${config.model} run, not an FHVAE's`);
  if (config.bins == null || config.sequences == null)
    throw new InputError(`${join(runDir, CONFIG_FILE)}: has no bins/sequences: it was never trained`);
  const model = createFhvae(config.modelOptions, config.bins, config.sequences, new Rng(config.seed));
  const { step } = await readCheckpoint(runDir, { nets: { ...model.nets }, objectives: [{ name: 'fhvae' }] });
  return { config, model, step };
}
