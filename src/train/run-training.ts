import { useBackend } from '../engine/backend.ts';
import { writeRunPictures } from '../viz/run-pictures.ts';
import type { TrainConfig } from './config.ts';
import { buildSession } from './session.ts';
import { train } from './trainer.ts';
import { startWorkers } from './worker-pool.ts';

/** Trains (or resumes) a run folder to its last step with its worker threads, then writes its pictures. */
export async function runTraining(
  config: TrainConfig,
  runDir: string,
  resume: boolean,
  { progress = true }: { progress?: boolean } = {},
): Promise<void> {
  await useBackend(config.backend);
  const session = buildSession(config);
  const workers = config.threads > 1 ? await startWorkers(session) : undefined;
  try {
    await train(session, runDir, { resume, progress, workers });
  } finally {
    await workers?.close();
  }
  await writeRunPictures(session.model, session.data, runDir, config.seed);
}
