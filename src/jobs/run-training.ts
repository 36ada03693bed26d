import { useBackend } from '../engine/backend.ts';
import type { TrainConfig } from '../run/config.ts';
import { buildSession } from '../train/session.ts';
import { train } from '../train/trainer.ts';
import { startWorkers } from '../train/worker-pool.ts';
import { writeRunPictures } from '../viz/run-pictures.ts';

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
