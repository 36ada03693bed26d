import { Worker } from 'node:worker_threads';
import { factorsOfStates, type GroundTruthData, stateCount } from '../data/ground-truth.ts';
import type { BackendName } from '../engine/backend.ts';
import { nativeForwardThreads, setNativeForwardThreads } from '../engine/kernels/native/addon.ts';
import { Rng } from '../engine/rng.ts';
import { encodePosterior } from '../models/inference.ts';
import type { Model } from '../models/model.ts';

/** The posterior of every state of a dataset, row s = state s (factorsOfStates' order), [states, latentDim]. */
export interface StatePosteriors {
  mean: Float32Array;
  logVar: Float32Array;
  /** how many blocks each thread encoded (this one first) */
  blocksByThread: number[];
}

export interface EncodeStatesOptions {
  /** this thread and threads - 1 workers, each loading the run from its folder */
  threads: number;
  backend?: BackendName;
  /** states per block: the unit a thread claims */
  blockSize?: number;
  /** images per forward pass */
  batchSize?: number;
}

/** What a worker needs: the run to load and the shared arrays it writes into. */
export interface EncodeStatesWorkerData {
  runDir: string;
  backend?: BackendName;
  blockSize: number;
  batchSize: number;
  /** [next block to claim] */
  counter: SharedArrayBuffer;
  mean: SharedArrayBuffer;
  logVar: SharedArrayBuffer;
}

/**
 * Encodes every state of a deterministic, full-grid dataset once, on every core: blocks of `blockSize`
 * states are claimed off a shared counter by this thread and by workers holding a replica of the run's
 * model (loaded from its checkpoint), and written into SharedArrayBuffers. Each state's posterior does not
 * depend on which thread, or which batch, encoded it, so the table is the same for any thread count.
 */
export async function encodeEveryState(
  runDir: string,
  model: Model,
  data: GroundTruthData,
  { threads, backend, blockSize = 4096, batchSize = 256 }: EncodeStatesOptions,
): Promise<StatePosteriors> {
  const states = stateCount(data.factorSizes);
  const bytes = 4 * states * model.latentDim;
  const shared: EncodeStatesWorkerData = {
    runDir,
    backend,
    blockSize,
    batchSize,
    counter: new SharedArrayBuffer(4),
    mean: new SharedArrayBuffer(bytes),
    logVar: new SharedArrayBuffer(bytes),
  };
  const workers = Array.from(
    { length: threads - 1 },
    () => new Worker(new URL('./encode-states-worker-boot.js', import.meta.url), { workerData: shared }),
  );
  const forwardThreads = nativeForwardThreads();
  try {
    // each worker claims blocks as soon as it has loaded and said so; this thread joins once all have
    const answers = workers.map((worker) => replies(worker, 2));
    await Promise.all(answers.map(([ready]) => ready));
    setNativeForwardThreads(1); // every core already runs a thread of its own
    const own = encodeBlocks(model, data, shared);
    const counts = (await Promise.all(answers.map(([, done]) => done))) as { blocks: number }[];
    return {
      mean: new Float32Array(shared.mean),
      logVar: new Float32Array(shared.logVar),
      blocksByThread: [own, ...counts.map((c) => c.blocks)],
    };
  } finally {
    setNativeForwardThreads(forwardThreads);
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** Claims and encodes blocks until none is left; returns how many this thread encoded. */
export function encodeBlocks(
  model: Model,
  data: GroundTruthData,
  { blockSize, batchSize, counter, mean, logVar }: EncodeStatesWorkerData,
): number {
  const states = stateCount(data.factorSizes);
  const dim = model.latentDim;
  const next = new Int32Array(counter);
  const means = new Float32Array(mean);
  const logVars = new Float32Array(logVar);
  const rng = new Rng(0); // deterministic data draws nothing
  let blocks = 0;
  for (let b = Atomics.add(next, 0, 1); b * blockSize < states; b = Atomics.add(next, 0, 1)) {
    const end = Math.min(states, (b + 1) * blockSize);
    for (let start = b * blockSize; start < end; start += batchSize) {
      const n = Math.min(batchSize, end - start);
      const x = data.sampleObservationsFromFactors(factorsOfStates(data.factorSizes, start, n), rng);
      const p = encodePosterior(model, x, n, data.observationShape);
      means.set(p.mean, start * dim);
      logVars.set(p.logVar, start * dim);
    }
    blocks++;
  }
  return blocks;
}

/** A worker's first `count` messages, in order; an `{ error }` reply or an 'error' event rejects those not yet received. */
function replies(worker: Worker, count: number): Promise<unknown>[] {
  const settle: Array<{ resolve: (value: unknown) => void; reject: (err: Error) => void }> = [];
  const promises = Array.from(
    { length: count },
    (_, i) => new Promise((resolve, reject) => (settle[i] = { resolve, reject })),
  );
  for (const p of promises) p.catch(() => {}); // observed by whoever awaits it
  let seen = 0;
  const fail = (err: Error) => {
    for (const s of settle.slice(seen)) s.reject(err);
  };
  worker.on('message', (message: { error?: string }) => {
    if (message?.error) fail(new Error(`encode worker: ${message.error}`));
    else settle[seen++]?.resolve(message);
  });
  worker.on('error', fail);
  return promises;
}
