import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { SyncReadError } from '../engine/kernels/webgpu/program.ts';
import { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { readCheckpoint, writeCheckpoint } from '../run/checkpoint.ts';
import { lastCheckpointNote } from '../run/checkpoint-note.ts';
import { writeLatentFile } from '../run/latent-file.ts';
import { LOG_FILE, type LogEntry, truncateLog } from '../run/log.ts';
import { createProgress } from './progress.ts';
import type { BatchSlice, TrainTask } from './task.ts';
import { createUpdate } from './update/select.ts';
import { NonFiniteLossError, type UpdateStrategy } from './update/strategy.ts';

export { NonFiniteLossError } from './update/strategy.ts';

/** What a training run is made of: a task (built from the config) and the run's RNG. */
export interface Session<S extends BatchSlice = BatchSlice> {
  task: TrainTask<S>;
  rng: Rng;
}

export interface TrainOptions<S extends BatchSlice = BatchSlice> {
  /** continue from the run folder's checkpoint */
  resume?: boolean;
  /** print progress (bar on a TTY, lines otherwise) */
  progress?: boolean;
  /** the update to use (default: the config's, created and closed here) */
  update?: UpdateStrategy<S>;
  /** called after every step (device update: every logged or checkpointed step) with its log entry */
  onStep?: (entry: LogEntry, step: number) => void;
  /** stops after the current step, writing a checkpoint (resumable like any run) */
  signal?: AbortSignal;
}

/**
 * The one training loop, for every model: draw a batch, step every objective through the update
 * strategy, log every logEvery steps, checkpoint every checkpointEvery steps. A resumed run restores
 * weights, optimizer state, RNG and step, drops log lines past the checkpoint, and continues exactly.
 */
export async function train<S extends BatchSlice>(
  session: Session<S>,
  runDir: string,
  options: TrainOptions<S> = {},
): Promise<LogEntry[]> {
  const { task } = session;
  const { config } = task;
  const update = options.update ?? (await createUpdate(task));
  let rng = session.rng;
  let step = 0;
  const progress = () => (options.progress ? createProgress(task.label, config.steps, step) : undefined);
  let bar: ReturnType<typeof progress>;
  const entries: LogEntry[] = [];
  try {
    // what the server and the browser read instead of knowing the model (also written on resume)
    if (task.latent) await writeLatentFile(runDir, task.latent);
    if (options.resume) {
      const saved = await readCheckpoint(runDir, task.model, update.optimizers());
      update.loadFromModel();
      step = saved.step;
      rng = Rng.fromState(saved.rng);
      await truncateLog(runDir, step);
    }
    task.begin?.(step);
    bar = progress();
    let lastLog = { step, time: performance.now() };
    while (step < config.steps) {
      await task.beforeStep?.(step, update);
      const { batch, stepSeed } = stepDraws(task, rng, step);
      await update.step(step, stepSeed, batch);
      step += 1;
      const due = (every: number) => step % every === 0 || step === config.steps;
      if (
        update.name === 'device' &&
        !due(config.logEvery) &&
        !due(config.checkpointEvery) &&
        !options.signal?.aborted
      )
        continue;
      const entry = logEntry(task, step, await update.losses());
      options.onStep?.(entry, step);
      // checked after onStep, so a caller that aborts there stops at this step
      const stopped = options.signal?.aborted === true;
      const logNow = due(config.logEvery) || stopped;
      const checkpointNow = due(config.checkpointEvery) || stopped;
      if (logNow) {
        const now = performance.now();
        entry[task.rateKey] = ((step - lastLog.step) * config.batchSize) / ((now - lastLog.time) / 1000);
        lastLog = { step, time: now };
        appendFileSync(join(runDir, LOG_FILE), `${JSON.stringify(entry)}\n`);
        entries.push(entry);
      }
      if (checkpointNow) {
        await update.syncModel();
        await writeCheckpoint(runDir, task.model, update.optimizers(), { step, rng: rng.state() });
      }
      bar?.update(
        step,
        Object.fromEntries(
          Object.entries(task.progressTerms).map(([short, key]) => [short, entry[key] as number]),
        ),
      );
      if (stopped) break;
    }
  } catch (err) {
    if (err instanceof NonFiniteLossError)
      throw new NonFiniteLossError(`${err.message}; ${lastCheckpointNote(runDir)}`);
    if (err instanceof SyncReadError)
      throw new InputError(
        `backend ${config.backend}: model ${config.model} reads values back synchronously during a training step, which the GPU cannot do; train it with --backend wasm`,
      );
    throw err;
  } finally {
    bar?.stop();
    if (options.update == null) await update.close();
  }
  return entries;
}

/** A step's log line: the first objective's terms by name, the others' prefixed by their name. */
function logEntry<S extends BatchSlice>(
  task: TrainTask<S>,
  step: number,
  losses: Awaited<ReturnType<UpdateStrategy['losses']>>,
): LogEntry {
  const entry: LogEntry = { step, ...task.logFields?.(), total: 0 };
  losses.forEach((loss, k) => {
    const prefix = k === 0 ? '' : `${task.model.objectives[k].name}.`;
    entry[`${prefix}total`] = loss.total;
    for (const [name, value] of Object.entries(loss.terms)) entry[prefix + name] = value;
    if (loss.klPerDim) entry[`${prefix}klPerDim`] = Array.from(loss.klPerDim);
  });
  return entry;
}

/**
 * A step's draws from the run's stream, in this order: its batch, then the seed of its per-example
 * noise (step-noise.ts). bench/fidelity-streams.ts replays a run's draws with it.
 */
export function stepDraws<S extends BatchSlice>(
  task: TrainTask<S>,
  rng: Rng,
  step: number,
): { batch: S; stepSeed: number } {
  const batch = task.sampleBatch(rng, step);
  return { batch, stepSeed: rng.nextUint32() };
}

/**
 * One step on a fresh batch from `rng`, outside a run folder (tests, benchmarks); returns its log entry.
 * The update strategy carries the optimizer state from one call to the next.
 */
export async function trainStep<S extends BatchSlice>(
  session: Session<S>,
  rng: Rng,
  step: number,
  update: UpdateStrategy<S>,
): Promise<LogEntry> {
  const { task } = session;
  await task.beforeStep?.(step, update);
  const { batch, stepSeed } = stepDraws(task, rng, step);
  await update.step(step, stepSeed, batch);
  return logEntry(task, step + 1, await update.losses());
}
