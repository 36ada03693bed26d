import { workerData } from 'node:worker_threads';
import { type DciJob, dciFactor } from './dci.ts';
import { type FactorJob, takeFactors } from './factor-threads.ts';

// The second thread of dciFromSamples: takes factors from the shared counter until none is left.
const data = workerData as FactorJob;
const { train, test, dim, numFactors, options, continuous, normalised } = data.job as DciJob;
takeFactors(
  data,
  (f) => dciFactor(train, test, dim, numFactors, f, options, continuous[f], normalised),
  true,
);
