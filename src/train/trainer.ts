import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleBatch } from '../data/ground-truth.ts';
import { Rng } from '../engine/rng.ts';
import { readCheckpoint, writeCheckpoint } from '../run/checkpoint.ts';
import { lastCheckpointNote } from '../run/checkpoint-note.ts';
import { LOG_FILE, type LogEntry, truncateLog } from '../run/log.ts';
import { type ShardResult, shardGradients } from './gradients.ts';
import type { GradientWorkers } from './parallel.ts';
import { createProgress } from './progress.ts';
import type { Session } from './session.ts';

export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

export interface TrainOptions {
  /** continue from the run folder's checkpoint */
  resume?: boolean;
  /** print progress (bar on a TTY, lines otherwise) */
  progress?: boolean;
  /** worker threads for data parallelism (created by the caller, see parallel.ts) */
  workers?: GradientWorkers;
  /** called after every step with that step's log entry (library callers: progress, early stopping) */
  onStep?: (entry: LogEntry, step: number) => void;
  /** stops after the current step, writing a checkpoint (resumable like any run) */
  signal?: AbortSignal;
}

/**
 * The generic training loop: sample a batch, step every objective the model declares with its own
 * Adam, log, checkpoint. It knows nothing model-specific.
 */
export async function train(
  session: Session,
  runDir: string,
  options: TrainOptions = {},
): Promise<LogEntry[]> {
  const { config, model, store } = session;
  const optimizers = session.objectives.map((o) => o.optimizer);
  let rng = session.rng;
  let step = 0;
  if (options.resume) {
    const saved = await readCheckpoint(runDir, model, optimizers);
    store.readFromModel();
    step = saved.step;
    rng = Rng.fromState(saved.rng);
    await truncateLog(runDir, step);
  }
  const logPath = join(runDir, LOG_FILE);
  const progress = options.progress ? createProgress('train', config.steps, step) : undefined;
  const entries: LogEntry[] = [];
  let lastLog = { step, time: performance.now() };
  try {
    while (step < config.steps) {
      const entry = await trainStep(session, rng, step, options.workers, runDir);
      step += 1;
      options.onStep?.(entry, step);
      // checked after onStep, so a caller that aborts there stops at this step
      const stopped = options.signal?.aborted === true;
      if (step % config.logEvery === 0 || step === config.steps || stopped) {
        const now = performance.now();
        entry.imgPerSec = ((step - lastLog.step) * config.batchSize) / ((now - lastLog.time) / 1000);
        lastLog = { step, time: now };
        appendFileSync(logPath, `${JSON.stringify(entry)}\n`);
        entries.push(entry);
      }
      if (step % config.checkpointEvery === 0 || step === config.steps || stopped) {
        await writeCheckpoint(runDir, model, optimizers, { step, rng: rng.state() });
      }
      progress?.update(step, {
        loss: entry.total,
        rec: entry.reconstruction as number,
        kl: entry.kl as number,
      });
      if (stopped) break;
    }
  } finally {
    progress?.stop();
  }
  return entries;
}

/** One step of every objective on a fresh batch drawn from `rng`; returns the step's log entry. */
export async function trainStep(
  session: Session,
  rng: Rng,
  step: number,
  workers?: GradientWorkers,
  runDir = '.',
): Promise<LogEntry> {
  const { config, data, model, store } = session;
  const [h, w, c] = data.observationShape;
  const { x, factors } = sampleBatch(data, config.batchSize, rng);
  const stepSeed = rng.nextUint32();
  const entry: LogEntry = { step: step + 1, total: 0 };
  const slice = {
    x,
    shape: [config.batchSize, h, w, c] as [number, number, number, number],
    firstExample: 0,
    factors,
  };
  for (const [k, objective] of model.objectives.entries()) {
    const result: ShardResult = workers
      ? await workers.gradients(k, step, stepSeed, slice)
      : shardGradients(model, k, step, stepSeed, slice);
    if (!Number.isFinite(result.total)) {
      throw new NonFiniteLossError(
        `loss of objective "${objective.name}" is ${result.total} at step ${step + 1}; ${lastCheckpointNote(runDir)}`,
      );
    }
    const { optimizer, indices } = session.objectives[k];
    optimizer.apply(
      indices.map((i) => store.view(i)),
      result.grads,
    );
    store.writeToModel(indices);
    const prefix = k === 0 ? '' : `${objective.name}.`;
    entry[`${prefix}total`] = result.total;
    for (const [name, value] of Object.entries(result.terms)) entry[prefix + name] = value;
    if (result.klPerDim) entry[`${prefix}klPerDim`] = Array.from(result.klPerDim);
  }
  return entry;
}
