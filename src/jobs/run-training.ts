import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { SpeechCorpus } from '../data/speech/corpus.ts';
import { loadSpeechCorpus } from '../data/speech/load.ts';
import { inferenceBackend, useBackend } from '../engine/backend.ts';
import { InputError } from '../io/input-error.ts';
import type { Fhvae } from '../models/fhvae.ts';
import { isSequenceConfig, type RunConfig, type SequenceTrainConfig } from '../run/config.ts';
import { loadRun } from '../run/load-run.ts';
import { buildSequenceSession, buildSession } from '../train/session.ts';
import { type TrainOptions, train } from '../train/trainer.ts';
import { writeFhvaePictures } from '../viz/fhvae-pictures.ts';
import { writeRunPictures } from '../viz/run-pictures.ts';

export interface RunTrainingOptions extends Pick<TrainOptions, 'onStep' | 'signal'> {
  progress?: boolean;
  /** a sequence model's corpus, when already loaded (default: read from the config's dataPath) */
  corpus?: SpeechCorpus;
}

/** Trains (or resumes) a run folder whose config is saved to its last step, then writes its pictures. */
export async function runTraining(
  config: RunConfig,
  runDir: string,
  resume: boolean,
  { progress = true, corpus, onStep, signal }: RunTrainingOptions = {},
): Promise<void> {
  const cores = availableParallelism();
  if (config.threads > cores) {
    // each thread holds a replica of the model and its wasm memory: more threads than cores only cost memory
    throw new InputError(
      `threads ${config.threads}: more than the ${cores} cores of this machine (--set threads=${cores})`,
    );
  }
  await useBackend(config.backend);
  if (isSequenceConfig(config)) {
    await trainFhvaeRun(config, corpus ?? loadCorpus(config.dataPath), runDir, {
      resume,
      progress,
      onStep,
      signal,
    });
    return;
  }
  const session = buildSession(config);
  await train(session, runDir, { resume, progress, onStep, signal });
  if (inferenceBackend(config.backend) === config.backend) {
    await writeRunPictures(session.model, session.data, runDir, config.seed);
    return;
  }
  // pictures read results synchronously: a GPU run hands its last checkpoint (the final weights) to wasm
  const onInference = await loadRun(runDir);
  await writeRunPictures(onInference.model, onInference.data, runDir, config.seed);
}

/** An FHVAE run on a loaded corpus, trained (or resumed) and pictured; returns the trained model. */
export async function trainFhvaeRun(
  config: SequenceTrainConfig,
  corpus: SpeechCorpus,
  runDir: string,
  {
    resume = false,
    progress = true,
    onStep,
    signal,
  }: { resume?: boolean; progress?: boolean } & Pick<TrainOptions, 'onStep' | 'signal'> = {},
): Promise<Fhvae> {
  await useBackend(config.backend);
  const session = buildSequenceSession(config, corpus);
  await train(session, runDir, { resume, progress, onStep, signal });
  const model = session.task.fhvae;
  try {
    await writeFhvaePictures(model, corpus.test.length > 0 ? corpus.test : corpus.train, runDir);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    process.stderr.write(`train: no FHVAE pictures (${err.message})\n`);
  }
  return model;
}

/** A speech corpus folder (written by `untangle data speech`). */
export function loadCorpus(dir: string | undefined, flag = '--data-path'): SpeechCorpus {
  if (dir == null) throw new InputError(`${flag}: an FHVAE trains on a speech corpus folder, none given`);
  if (!existsSync(dir)) throw new InputError(`${flag} ${dir}: no such folder`);
  return loadSpeechCorpus(dir);
}
