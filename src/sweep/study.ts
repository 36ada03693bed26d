import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../io/input-error.ts';
import { runLocally } from './local-pool.ts';
import { enqueueAndWait } from './queue.ts';
import { readResult } from './run-job.ts';
import { expandSweep, type SweepJob, type SweepSpec, sweepSpecSchema } from './spec.ts';
import type { StudyBudget } from './study-budgets.ts';
import { readCurve } from './study-curve.ts';
import type { StudyDefinition } from './study-definitions.ts';
import { type StudyObservation, writeStudyReport } from './study-report.ts';
import { writeSweepFile } from './sweep-file.ts';
import { lastTenth } from './training-tail.ts';

export interface StudyRunOptions {
  seeds: number;
  /** local worker processes (ignored with redis) */
  jobs: number;
  redis?: string;
  /** fhvae: the speech corpus folder */
  corpus?: string;
  /** the command line, for the report */
  command: string;
  /** write the table, plots and report from the jobs finished so far, training nothing */
  reportOnly?: boolean;
}

/** The study as a sweep: its grid, the budget's training and sample sizes, a light curve on every job. */
export function studyJobs(
  study: StudyDefinition,
  budget: StudyBudget,
  seeds: number,
): { spec: SweepSpec; jobs: SweepJob[] } {
  const models = study.grid(budget);
  const spec = sweepSpecSchema.parse({
    models,
    datasets: [study.dataset],
    seeds: Array.from({ length: seeds }, (_, i) => i),
    train: { ...budget.train },
    modelTrain: Object.fromEntries(Object.entries(budget.modelTrain).filter(([m]) => m in models)),
    metrics: { names: study.metrics, settings: budget.metricSettings, codes: ['mean'] },
  });
  const curve = {
    steps: budget.curveSteps,
    metrics: study.curveMetrics,
    settings: budget.curveSettings.filter((s) => study.curveMetrics.some((m) => s.startsWith(`${m}.`))),
  };
  const jobs = expandSweep(spec, `study ${study.name}`).map((job) =>
    study.curveMetrics.length > 0 ? { ...job, curve } : job,
  );
  return { spec, jobs };
}

/** Runs (or resumes) every job of the study, then writes table.json/md, report.md and plots/ into dir. */
export async function runStudy(
  dir: string,
  study: StudyDefinition,
  budget: StudyBudget,
  options: StudyRunOptions,
): Promise<{ report: string; failed: string[] }> {
  const { observations, columns, failed, progress } =
    study.name === 'fhvae'
      ? await runFhvaeStudy(dir, budget, options)
      : await runImageStudy(dir, study, budget, options);
  await writeStudyReport(dir, study, budget, options.command, observations, columns, progress);
  return { report: readFileSync(join(dir, 'report.md'), 'utf8'), failed };
}

async function runImageStudy(
  dir: string,
  study: StudyDefinition,
  budget: StudyBudget,
  options: StudyRunOptions,
) {
  const { spec, jobs } = studyJobs(study, budget, options.seeds);
  let failed: string[] = [];
  if (options.reportOnly) {
    if (!existsSync(join(dir, 'sweep.json')))
      throw new InputError(`--out ${dir}: no study here to report on (no sweep.json)`);
  } else {
    await writeSweepFile(dir, spec, jobs);
    failed = options.redis
      ? await enqueueAndWait(options.redis, dir, jobs)
      : await runLocally(dir, jobs, options.jobs);
  }
  const observations = jobs.flatMap((job): StudyObservation[] => {
    const result = readResult(dir, job.id);
    if (!result) return [];
    return [
      {
        model: result.model,
        setting: result.hyperparameters,
        seed: result.seed,
        values: { ...result.headline, ...(result.training ?? lastTenth(join(dir, result.runDir))) },
        curve: readCurve(dir, job.id),
      },
    ];
  });
  const present = new Set(observations.flatMap((o) => Object.keys(o.values)));
  const columns = [...study.metrics, 'discrete-accuracy', 'reconstruction', 'kl', 'active-units'].filter(
    (c, i, all) => present.has(c) && all.indexOf(c) === i,
  );
  return { observations, columns, failed, progress: { finished: observations.length, planned: jobs.length } };
}

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'untangle.js');

interface FhvaeTableRow {
  representation: string;
  dim: number;
  rawEer: number;
  ldaEer: number;
}

/** fhvae: `untangle fhvae-table` per seed (α ∈ {0, 1, 10}, reusing finished runs), rows read back. */
async function runFhvaeStudy(dir: string, budget: StudyBudget, options: StudyRunOptions) {
  if (!options.corpus && !options.reportOnly)
    throw new InputError(
      'study fhvae: give --corpus DIR (a speech corpus written by `untangle data speech`)',
    );
  if (options.corpus && !existsSync(options.corpus))
    throw new InputError(`--corpus ${options.corpus}: no such folder`);
  const failed: string[] = [];
  const observations: StudyObservation[] = [];
  for (let seed = 0; seed < options.seeds; seed++) {
    const out = join(dir, `seed-${seed}`);
    const code = options.reportOnly ? 0 : await fhvaeTable(options.corpus!, out, budget, seed);
    if (code !== 0 || !existsSync(join(out, 'table.json'))) {
      failed.push(`seed-${seed}`);
      continue;
    }
    const rows = JSON.parse(readFileSync(join(out, 'table.json'), 'utf8')) as FhvaeTableRow[];
    for (const row of rows)
      observations.push({ ...fhvaeRowKind(row), seed, values: { rawEer: row.rawEer, ldaEer: row.ldaEer } });
  }
  const progress = { finished: options.seeds - failed.length, planned: options.seeds };
  return { observations, columns: ['rawEer', 'ldaEer'], failed: options.reportOnly ? [] : failed, progress };
}

/** One seed's `untangle fhvae-table` in a child process; its exit code. */
function fhvaeTable(corpus: string, out: string, budget: StudyBudget, seed: number): Promise<number> {
  const args = [CLI, 'fhvae-table', '--corpus', corpus, '--out', out, '--alphas', '0,1,10'];
  args.push('--steps', String(budget.fhvaeSteps), '--seed', String(seed), '--ivector-dims', '48,100');
  return new Promise<number>((done) =>
    spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] }).once('exit', (c) =>
      done(c ?? 1),
    ),
  );
}

/** 'μ2 (α=10)' → fhvae α=10; 'μ1 (α=10)' → mu1; 'i-vector' → i-vector of its dim. */
export function fhvaeRowKind(row: FhvaeTableRow): Pick<StudyObservation, 'model' | 'setting'> {
  const alpha = /α=([-\d.e]+)/.exec(row.representation)?.[1];
  if (row.representation.startsWith('μ2')) return { model: 'fhvae', setting: { alpha: Number(alpha) } };
  if (row.representation.startsWith('μ1')) return { model: 'mu1', setting: { alpha: Number(alpha) } };
  return { model: 'i-vector', setting: { dim: row.dim } };
}
