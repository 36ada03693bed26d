import { existsSync } from 'node:fs';
import { link, mkdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tempPathFor, writeFileAtomic } from '../io/atomic.ts';
import { readJsonSync } from '../io/read-json.ts';
import { runTraining } from '../jobs/run-training.ts';
import { evaluateRun } from '../metrics/evaluate-run.ts';
import { parseMetricSettings } from '../metrics/suite.ts';
import { CONFIG_FILE } from '../run/load-run.ts';
import { acquireJobLock } from './job-lock.ts';
import type { SweepJob } from './spec.ts';
import { trainAlongCurve } from './study-curve.ts';
import { lastTenth } from './training-tail.ts';

/** What a finished job records: its config, swept values and headline metrics. Its file marks it done. */
export interface JobResult {
  id: string;
  model: string;
  dataset: string;
  seed: number;
  hyperparameters: Record<string, unknown>;
  headline: Record<string, number>;
  /** training-batch reconstruction and KL over the last tenth of the log, so the result stands without its run */
  training?: { reconstruction?: number; kl?: number };
  seconds: number;
  runDir: string;
}

export const runDirOf = (sweepDir: string, id: string) => join(sweepDir, 'runs', id);
export const resultPathOf = (sweepDir: string, id: string) => join(sweepDir, 'results', `${id}.json`);

export function readResult(sweepDir: string, id: string): JobResult | null {
  const path = resultPathOf(sweepDir, id);
  return existsSync(path) ? (readJsonSync(path) as JobResult) : null;
}

/**
 * Runs one job to completion, holding its lock: nothing if its result exists; resumes its run from the last checkpoint if
 * one exists (an interrupted job); else trains from scratch. Then evaluates and writes the result
 * atomically — a job is recorded once, whoever finishes it.
 */
export async function runJob(sweepDir: string, job: SweepJob): Promise<JobResult> {
  if (readResult(sweepDir, job.id)) return readResult(sweepDir, job.id)!;
  // one owner per job: another process training it is waited for, then its result is this one's
  const lock = await acquireJobLock(sweepDir, job.id, {
    onWait: (owner) => process.stderr.write(`${job.id}: waiting for its other owner ${owner}\n`),
  });
  try {
    return readResult(sweepDir, job.id) ?? (await trainAndEvaluate(sweepDir, job));
  } finally {
    await lock.release();
  }
}

async function trainAndEvaluate(sweepDir: string, job: SweepJob): Promise<JobResult> {
  const started = performance.now();
  const runDir = runDirOf(sweepDir, job.id);
  // checkpoint.old is what a process killed between the checkpoint's two renames leaves (still valid)
  const resume = ['checkpoint', 'checkpoint.old'].some((c) => existsSync(join(runDir, c, 'state.json')));
  if (!resume) {
    // a run killed before its first checkpoint left nothing to resume: start it clean
    await rm(runDir, { recursive: true, force: true });
    await mkdir(runDir, { recursive: true });
    await writeFileAtomic(join(runDir, CONFIG_FILE), `${JSON.stringify(job.config, null, 2)}\n`);
  }
  // the job's stderr is its log (DIR/logs/ID.log): plain progress lines, then one line per metric
  if (job.curve) await trainAlongCurve(sweepDir, job.id, job.config, job.curve, runDir, resume);
  else await runTraining(job.config, runDir, resume);
  const report = await evaluateRun(runDir, {
    metrics: job.metrics.names,
    kinds: job.metrics.codes,
    seed: job.config.seed,
    overrides: parseMetricSettings(job.metrics.settings, job.metrics.names),
    posterior: true,
    onMetric: (kind, name, run) =>
      process.stderr.write(`${job.id}: ${name} on ${kind} codes in ${run.seconds.toFixed(1)} s\n`),
  });
  const result: JobResult = {
    id: job.id,
    model: job.config.model,
    dataset: job.config.dataset,
    seed: job.config.seed,
    hyperparameters: job.hyperparameters,
    headline: report.headline,
    training: lastTenth(runDir),
    seconds: (performance.now() - started) / 1000,
    runDir: join('runs', job.id),
  };
  await mkdir(join(sweepDir, 'results'), { recursive: true });
  await writeResultOnce(resultPathOf(sweepDir, job.id), `${JSON.stringify(result, null, 2)}\n`);
  return readResult(sweepDir, job.id)!;
}

/** Writes a complete file at `path` unless one is there already: the first finisher records the job. */
async function writeResultOnce(path: string, text: string): Promise<void> {
  const temp = tempPathFor(path);
  await writeFile(temp, text);
  try {
    await link(temp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
}
