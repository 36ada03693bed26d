import type { Command } from 'commander';
import { startWorker } from '../sweep/queue.ts';
import { intOption } from './options.ts';

export function register(program: Command): void {
  program
    .command('worker')
    .description('take sweep jobs from BullMQ on Redis until stopped (Ctrl-C)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://127.0.0.1:6379')
    .option('--concurrency <n>', 'jobs at once in this process', intOption('--concurrency'), 1)
    .option(
      '--lock-ms <ms>',
      'job lock; a dead worker’s job returns to the queue after about this long',
      intOption('--lock-ms'),
      30_000,
    )
    .action(async (flags: { redis: string; concurrency: number; lockMs: number }) => {
      const worker = startWorker(flags.redis, { concurrency: flags.concurrency, lockDuration: flags.lockMs });
      worker.on('completed', (job) => process.stderr.write(`worker: ${job.id} done\n`));
      worker.on('failed', (job, err) => process.stderr.write(`worker: ${job?.id} failed: ${err.message}\n`));
      process.stderr.write(`worker: waiting for jobs on ${flags.redis}\n`);
      await new Promise<void>((resolve) => {
        // a job still running when stopped returns to the queue once its lock lapses and resumes elsewhere
        const stop = () => {
          setTimeout(() => process.exit(0), 5000).unref();
          worker.close(true).then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      process.exit(0);
    });
}
