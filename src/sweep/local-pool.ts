import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readResult } from './run-job.ts';
import type { SweepJob } from './spec.ts';
import { sweepProgress } from './sweep-progress.ts';

const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'untangle.js');

/** Spawns `untangle sweep-job DIR ID` for one job; its output goes to DIR/logs/ID.log. */
export async function spawnJob(sweepDir: string, id: string): Promise<number> {
  await mkdir(join(sweepDir, 'logs'), { recursive: true });
  const log = createWriteStream(join(sweepDir, 'logs', `${id}.log`), { flags: 'a' });
  // the IPC channel lets the job die with its parent (see `sweep-job`)
  const child = spawn(process.execPath, [CLI, 'sweep-job', sweepDir, id], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  const code = await new Promise<number>((r) => child.once('exit', (c) => r(c ?? 1)));
  log.end();
  return code;
}

/** Runs the unfinished jobs, `parallel` child processes at a time; returns the ids that failed. */
export async function runLocally(sweepDir: string, jobs: SweepJob[], parallel: number): Promise<string[]> {
  const pending = jobs.filter((j) => readResult(sweepDir, j.id) == null);
  const progress = sweepProgress(jobs.length, jobs.length - pending.length);
  const failed: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < pending.length) {
      const job = pending[next++];
      progress.started();
      const code = await spawnJob(sweepDir, job.id);
      if (code === 0) progress.finished();
      else {
        failed.push(job.id);
        progress.failed(`${job.id} (${job.config.model}) exited with ${code}: see logs/${job.id}.log`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
  progress.stop();
  return failed;
}
