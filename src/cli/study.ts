import type { Command } from 'commander';
import { makeOutputDir } from '../io/out-dir.ts';
import { runStudy } from '../sweep/study.ts';
import { STUDY_BUDGETS, studyBudget } from '../sweep/study-budgets.ts';
import { STUDIES, studyDefinition } from '../sweep/study-definitions.ts';
import { intOption } from './options.ts';

interface StudyFlags {
  out: string;
  budget: string;
  seeds?: number;
  steps?: number;
  jobs: number;
  redis?: string;
  corpus?: string;
  reportOnly?: boolean;
}

export function register(program: Command): void {
  program
    .command('study')
    .argument('<name>', `which claim of the seeds to test: ${Object.keys(STUDIES).join(', ')}`)
    .description(
      "reproduce one of the seeds' trends: train its grid (a sweep: locally or on Redis workers, resumable), write table.md/json, plots and report.md",
    )
    .requiredOption('--out <dir>', 'study folder (re-running resumes it and rewrites the report)')
    .option(
      '--budget <name>',
      `training budget: ${Object.keys(STUDY_BUDGETS)
        .filter((b) => b !== 'tiny')
        .join(', ')} (docs/fidelity.md)`,
      'quick',
    )
    .option('--seeds <n>', 'seeds 0..n-1 (default: the budget’s, 3)', intOption('--seeds'))
    .option('--steps <n>', 'override the budget’s training steps', intOption('--steps'))
    .option('--jobs <n>', 'local worker processes', intOption('--jobs'), 1)
    .option('--redis <url>', 'enqueue on BullMQ at this Redis URL; `untangle worker` processes take the jobs')
    .option('--corpus <dir>', 'fhvae: the speech corpus (`untangle data speech`)')
    .option('--report-only', 'write the table, plots and report from the jobs finished so far; train nothing')
    .action(async (name: string, flags: StudyFlags) => {
      const study = studyDefinition(name);
      if (!flags.reportOnly) await makeOutputDir(flags.out);
      const base = studyBudget(flags.budget);
      const budget =
        flags.steps === undefined
          ? base
          : {
              ...base,
              train: { ...base.train, steps: flags.steps },
              curveSteps: base.curveSteps.filter((s) => s < flags.steps!),
              fhvaeSteps: flags.steps,
            };
      const command = ['untangle', ...process.argv.slice(2)].join(' ');
      const { report, failed } = await runStudy(flags.out, study, budget, {
        seeds: flags.seeds ?? budget.seeds,
        jobs: flags.jobs,
        redis: flags.redis,
        corpus: flags.corpus,
        command,
        reportOnly: flags.reportOnly,
      });
      process.stdout.write(report);
      if (failed.length > 0)
        throw new Error(`${failed.length} jobs failed: ${failed.join(', ')} (see ${flags.out}/logs)`);
    });
}
