import { resolve } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { InputError } from '../io/input-error.ts';
import { spawnJob } from './local-pool.ts';
import { readResult } from './run-job.ts';
import type { SweepJob } from './spec.ts';
import { readSweepFile } from './sweep-file.ts';
import { sweepProgress } from './sweep-progress.ts';

export const QUEUE_NAME = 'untangle-sweep';

/** A Redis client for a redis:// URL (host, port, password, db) that keeps retrying while Redis restarts. */
export function redisConnection(url: string): Redis {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InputError(`--redis ${url}: expected a URL like redis://127.0.0.1:6379`);
  }
  if (parsed.protocol !== 'redis:') throw new InputError(`--redis ${url}: expected a redis:// URL`);
  const client = new Redis({
    host: parsed.hostname || '127.0.0.1',
    port: Number(parsed.port || 6379),
    password: parsed.password || undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0,
    // BullMQ workers must not give up on a command while Redis restarts
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  client.on('error', () => {}); // reconnection is automatic; callers see failed commands
  return client;
}

/**
 * Enqueues the unfinished jobs (the job id is the BullMQ job id, so re-submitting adds nothing twice) and
 * waits until every job has a result or has failed all its attempts. Workers run each job (`runJob`), which writes
 * the result file once; a stalled job (its worker died) goes back to the queue and resumes from its
 * checkpoint on another worker.
 */
export async function enqueueAndWait(
  url: string,
  sweepDir: string,
  jobs: SweepJob[],
  attempts = 5,
): Promise<string[]> {
  const connection = redisConnection(url);
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on('error', () => {}); // reconnects on its own; the wait loop below retries
  const dir = resolve(sweepDir);
  const pending = jobs.filter((j) => readResult(dir, j.id) == null);
  for (const job of pending) {
    const existing = await queue.getJob(job.id);
    if (existing && (await existing.getState()) === 'failed') await existing.retry();
    else if (!existing || (await existing.getState()) === 'completed') {
      await existing?.remove();
      await queue.add(
        'job',
        { sweepDir: dir, id: job.id },
        { jobId: job.id, attempts, backoff: { type: 'exponential', delay: 1000 } },
      );
    }
  }
  const progress = sweepProgress(jobs.length, jobs.length - pending.length);
  let failed: string[] = [];
  for (;;) {
    try {
      const done = jobs.filter((j) => readResult(dir, j.id) != null).length;
      failed = [];
      let running = 0;
      for (const job of jobs) {
        if (readResult(dir, job.id)) continue;
        const queued = await queue.getJob(job.id);
        const state = await queued?.getState();
        if (state === 'failed') failed.push(job.id);
        else if (state === 'active') running++;
        else if (queued == null) {
          // Redis lost it (restarted without persistence): enqueue it again; its run resumes
          await queue.add(
            'job',
            { sweepDir: dir, id: job.id },
            { jobId: job.id, attempts, backoff: { type: 'exponential', delay: 1000 } },
          );
        }
      }
      progress.set({ done, running, failed: failed.length });
      if (done + failed.length === jobs.length) break;
    } catch {
      // Redis unreachable for a moment (restarting): try again
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await queue.close();
  await connection.quit().catch(() => {});
  return failed;
}

/**
 * Takes jobs from the queue until stopped. Each job runs in a child process tied to this one (it exits if
 * this worker dies), so this process's event loop stays free to renew the job's lock however long the job
 * computes.
 */
export function startWorker(url: string, { concurrency = 1, lockDuration = 30_000 } = {}): Worker {
  const worker = new Worker(
    QUEUE_NAME,
    async (job) => {
      const { sweepDir, id } = job.data as { sweepDir: string; id: string };
      if (!readSweepFile(sweepDir).jobs.some((j) => j.id === id))
        throw new Error(`${sweepDir}: no job ${id}`);
      const code = await spawnJob(sweepDir, id);
      if (code !== 0) throw new Error(`job ${id} exited with ${code}: see ${sweepDir}/logs/${id}.log`);
      return id;
    },
    {
      connection: redisConnection(url),
      concurrency,
      lockDuration,
      stalledInterval: Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 5,
    },
  );
  worker.on('error', () => {}); // connection drops are retried by the client
  return worker;
}
