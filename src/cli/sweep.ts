import type { Command } from 'commander';
import { readJson } from '../io/read-json.ts';
import { runLocally } from '../sweep/local-pool.ts';
import { enqueueAndWait } from '../sweep/queue.ts';
import { readResult, runJob } from '../sweep/run-job.ts';
import { dlibUnsupervisedSpec, expandSweep, parseSweepSpec, type SweepSpec } from '../sweep/spec.ts';
import { readSweepFile, writeSweepFile } from '../sweep/sweep-file.ts';
import { UsageError } from './errors.ts';
import { collect, intOption } from './options.ts';

interface SweepFlags {
  out?: string;
  preset?: string;
  models?: string;
  seeds?: number;
  steps?: number;
  set: string[];
  jobs: number;
  redis?: string;
}

export function register(program: Command): void {
  program
    .command('sweep')
    .argument('[spec]', 'sweep spec JSON (models × hyperparameters × datasets × seeds; see docs/sweeps.md)')
    .description('train and evaluate a grid of runs: locally (--jobs N) or on BullMQ workers (--redis URL)')
    .requiredOption('--out <dir>', 'sweep folder (re-submitting to it skips finished jobs)')
    .option('--preset <name>', 'dlib-unsupervised: disentanglement_lib’s study grid instead of a spec')
    .option('--models <list>', 'with --preset: a subset of the study’s models')
    .option('--seeds <n>', 'with --preset: seeds 0..n-1', intOption('--seeds'))
    .option('--steps <n>', 'override every job’s training steps', intOption('--steps'))
    .option('--set <key=value>', 'override a train config key of every job (repeatable)', collect, [])
    .option('--jobs <n>', 'local worker processes', intOption('--jobs'), 1)
    .option('--redis <url>', 'enqueue on BullMQ at this Redis URL; `untangle worker` processes take the jobs')
    .action(async (specPath: string | undefined, flags: SweepFlags) => {
      let spec: SweepSpec;
      if (flags.preset) {
        if (flags.preset !== 'dlib-unsupervised') {
          throw new UsageError(`--preset ${flags.preset}: unknown, expected dlib-unsupervised`);
        }
        spec = dlibUnsupervisedSpec(flags.models?.split(',') ?? [], flags.seeds ?? 50);
      } else {
        if (!specPath) throw new UsageError('sweep: give a SPEC.json or --preset dlib-unsupervised');
        spec = parseSweepSpec(await readJson(specPath), specPath);
      }
      for (const setting of flags.set) {
        const eq = setting.indexOf('=');
        if (eq <= 0) throw new UsageError(`--set ${setting}: expected key=value`);
        const text = setting.slice(eq + 1);
        let value: unknown = text;
        try {
          value = JSON.parse(text);
        } catch {}
        spec.train[setting.slice(0, eq)] = value;
      }
      if (flags.steps !== undefined) spec.train.steps = flags.steps;
      const jobs = expandSweep(spec, specPath ?? flags.preset, (message) =>
        process.stderr.write(`${message}\n`),
      );
      await writeSweepFile(flags.out!, spec, jobs);
      const failed = flags.redis
        ? await enqueueAndWait(flags.redis, flags.out!, jobs)
        : await runLocally(flags.out!, jobs, flags.jobs);
      const done = jobs.filter((j) => readResult(flags.out!, j.id) != null).length;
      process.stdout.write(`${done}/${jobs.length} jobs finished in ${flags.out}\n`);
      if (failed.length > 0) throw new Error(`${failed.length} jobs failed: ${failed.join(', ')}`);
    });

  program
    .command('sweep-job', { hidden: true })
    .argument('<dir>')
    .argument('<id>')
    .action(async (dir: string, id: string) => {
      // started by a pool or a queue worker: if that parent dies (kill -9), stop too, so no orphan keeps
      // writing the run while another worker resumes it
      if (process.connected) {
        process.once('disconnect', () => process.exit(1));
        // the channel alone must not keep this process alive once the job is done
        process.channel?.unref();
      }
      const job = readSweepFile(dir).jobs.find((j) => j.id === id);
      if (!job) throw new UsageError(`${dir}: no job ${id} in its sweep.json`);
      await runJob(dir, job);
    });
}
