import { workerData } from 'node:worker_threads';
import { type FactorWork, takeFactors } from './factor-threads.ts';

// The second thread of perFactor: imports the metric's task and takes factors until none is left.
const work = workerData as FactorWork;
const run = (await import(work.module))[work.name] as (job: unknown, f: number) => Float64Array;
takeFactors(work, (f) => run(work.job, f), true);
