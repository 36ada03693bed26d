/**
 * Per-factor work of a metric on this thread and one worker thread at once, behind a synchronous call:
 * both threads take the next factor from a shared counter (the costliest first) and write its result into
 * shared memory; this thread then waits (Atomics.wait) for the factors the worker took. Each factor's
 * result is computed alone, so the results do not depend on which thread computed which. If the worker is
 * not up by the time this thread runs out of factors, it takes none; if it fails on one, this thread
 * computes that factor itself.
 */

/** A metric's per-factor task: the export `name` of the module at `module` (its import.meta.url). */
export interface FactorTask<J> {
  module: string;
  name: string;
  run: (job: J, f: number) => Float64Array;
}

/** What the worker receives (factor-worker.ts). */
export interface FactorWork {
  module: string;
  name: string;
  job: unknown;
  order: number[];
  resultSize: number;
  /** Int32: [next task, then per factor: 0 pending, 1 done, 2 failed, 3 taken by the worker] */
  control: SharedArrayBuffer;
  results: SharedArrayBuffer;
}

/**
 * Node's modules, found at run time: the metrics are in the browser API too, which imports no Node
 * module (a bundler sees no import here, nor a worker URL to bundle). Without them (a browser; Node before
 * 20.16) everything runs on the calling thread.
 */
interface NodeThreads {
  Worker: new (url: URL, options: { workerData: unknown }) => { unref(): void; terminate(): Promise<number> };
}
function nodeModule<T>(name: string): T | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  return process?.getBuiltinModule?.(name) as T | undefined;
}
const WORKER_BOOT = './factor-worker-boot.js';

const NEXT = 0;
const [PENDING, DONE, FAILED, TAKEN] = [0, 1, 2, 3];

/** Threads for per-factor work: 2 where the machine has them. */
export function factorThreads(): number {
  const os = nodeModule<{ availableParallelism(): number }>('node:os');
  const threads = nodeModule<NodeThreads>('node:worker_threads');
  return os && threads ? Math.min(2, os.availableParallelism()) : 1;
}

/**
 * task.run(job, f) for every factor, each giving resultSize numbers; on `threads` > 1, one worker helps
 * (`job` is copied to it). `cost` orders the factors, costliest first. Returns the results by factor.
 */
export function perFactor<J>(
  task: FactorTask<J>,
  job: J,
  factors: number,
  resultSize: number,
  cost: (f: number) => number,
  threads: number,
  /** false: leave every factor to the worker (this thread only waits), which tests use */
  thisThreadWorks = true,
): Float64Array[] {
  const workerThreads = nodeModule<NodeThreads>('node:worker_threads');
  if (threads <= 1 || factors <= 1 || !workerThreads) {
    return Array.from({ length: factors }, (_, f) => task.run(job, f));
  }
  const order = Array.from({ length: factors }, (_, f) => f).sort((a, b) => cost(b) - cost(a) || a - b);
  const control = new SharedArrayBuffer(4 * (1 + factors));
  const results = new SharedArrayBuffer(8 * factors * resultSize);
  const work: FactorWork = { module: task.module, name: task.name, job, order, resultSize, control, results };
  const worker = new workerThreads.Worker(new URL(WORKER_BOOT, import.meta.url), { workerData: work });
  worker.unref();
  const state = new Int32Array(control);
  const out = new Float64Array(results);
  const compute = (f: number) => task.run(job, f);
  try {
    if (thisThreadWorks) takeFactors(work, compute, false);
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
export function takeFactors(work: FactorWork, compute: (f: number) => Float64Array, isWorker: boolean): void {
  const state = new Int32Array(work.control);
  const out = new Float64Array(work.results);
  for (;;) {
    const t = Atomics.add(state, NEXT, 1);
    if (t >= work.order.length) return;
    const f = work.order[t];
    if (!isWorker) {
      out.set(compute(f), f * work.resultSize);
      Atomics.store(state, 1 + f, DONE);
      continue;
    }
    Atomics.store(state, 1 + f, TAKEN);
    let outcome = DONE;
    try {
      out.set(compute(f), f * work.resultSize);
    } catch {
      outcome = FAILED;
    }
    Atomics.store(state, 1 + f, outcome);
    Atomics.notify(state, 1 + f);
  }
}
