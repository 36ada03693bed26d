import { availableParallelism } from 'node:os';
import { useBackend } from '../engine/backend.ts';
import { InputError } from '../io/input-error.ts';
import type { TrainConfig } from '../run/config.ts';
import { buildSession } from '../train/session.ts';
import { type TrainOptions, train } from '../train/trainer.ts';
import { startWorkers } from '../train/worker-pool.ts';
import { writeRunPictures } from '../viz/run-pictures.ts';

/** Trains (or resumes) a run folder to its last step with its worker threads, then writes its pictures. */
export async function runTraining(
  config: TrainConfig,
  runDir: string,
  resume: boolean,
  { progress = true, onStep, signal }: Pick<TrainOptions, 'progress' | 'onStep' | 'signal'> = {},
): Promise<void> {
  const cores = availableParallelism();
  if (config.threads > cores) {
    // each thread holds a replica of the model and its wasm memory: more threads than cores only cost memory
    throw new InputError(
      `threads ${config.threads}: more than the ${cores} cores of this machine (--set threads=${cores})`,
    );
  }
  await useBackend(config.backend);
  const session = buildSession(config);
  const workers = config.threads > 1 ? await startWorkers(session) : undefined;
  try {
    await train(session, runDir, { resume, progress, workers, onStep, signal });
  } finally {
    await workers?.close();
  }
  await writeRunPictures(session.model, session.data, runDir, config.seed);
}
