import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Per-factor work of a metric on this thread and one worker thread at once, behind a synchronous call:
 * both threads take the next factor from a shared counter (the costliest first) and write its result into
 * shared memory; this thread then waits (Atomics.wait) for the factors the worker took. Each factor's
 * result is computed alone, so the results do not depend on which thread computed which. If the worker is
 * not up by the time this thread runs out of factors, it takes no factor; if it fails on one, this thread
 * computes that factor itself.
 */

/** What a worker receives: the metric's own inputs (`job`) and the shared state. */
export interface FactorJob {
  job: unknown;
  order: number[];
  resultSize: number;
  /** Int32: [next task, ...per factor 0 pending / 1 done / 2 failed / 3 taken by the worker] */
  control: SharedArrayBuffer;
  results: SharedArrayBuffer;
}

const NEXT = 0;
const [PENDING, DONE, FAILED, TAKEN] = [0, 1, 2, 3];

/** Threads for per-factor work: 2 where the machine has them. */
export function factorThreads(): number {
  return Math.min(2, availableParallelism());
}

/**
 * Runs compute(f) for every factor in `order` (costliest first), one worker helping; returns each factor's
 * result (resultSize numbers) by factor index.
 */
export function runFactorsInParallel(
  workerUrl: URL,
  job: unknown,
  order: number[],
  resultSize: number,
  compute: (f: number) => Float64Array,
  /** false: leave every factor to the worker (this thread only waits), which tests use */
  thisThreadWorks = true,
): Float64Array[] {
  const factors = Math.max(...order) + 1;
  const control = new SharedArrayBuffer(4 * (1 + factors));
  const results = new SharedArrayBuffer(8 * factors * resultSize);
  const data: FactorJob = { job, order, resultSize, control, results };
  const worker = new Worker(workerUrl, { workerData: data });
  worker.unref();
  const state = new Int32Array(control);
  const out = new Float64Array(results);
  try {
    if (thisThreadWorks) takeFactors(data, compute, false);
    for (const f of order) {
      // every factor not done here was taken by the worker: wait for it, or compute it if the worker failed
      for (let s = Atomics.load(state, 1 + f); s === PENDING || s === TAKEN; s = Atomics.load(state, 1 + f)) {
        Atomics.wait(state, 1 + f, s, 1000);
      }
      if (Atomics.load(state, 1 + f) === FAILED) out.set(compute(f), f * resultSize);
    }
  } finally {
    void worker.terminate();
  }
  return Array.from({ length: factors }, (_, f) => out.slice(f * resultSize, (f + 1) * resultSize));
}

/** Both threads' loop: take the next factor, compute it, publish it. */
export function takeFactors(data: FactorJob, compute: (f: number) => Float64Array, isWorker: boolean): void {
  const state = new Int32Array(data.control);
  const out = new Float64Array(data.results);
  for (;;) {
    const t = Atomics.add(state, NEXT, 1);
    if (t >= data.order.length) return;
    const f = data.order[t];
    if (!isWorker) {
      out.set(compute(f), f * data.resultSize);
      Atomics.store(state, 1 + f, DONE);
      continue;
    }
    Atomics.store(state, 1 + f, TAKEN);
    let outcome = DONE;
    try {
      out.set(compute(f), f * data.resultSize);
    } catch {
      outcome = FAILED;
    }
    Atomics.store(state, 1 + f, outcome);
    Atomics.notify(state, 1 + f);
  }
}
