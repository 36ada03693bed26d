import { parentPort, workerData } from 'node:worker_threads';
import { type EncodeStatesWorkerData, encodeBlocks } from './encode-states.ts';
import { loadRun } from './load-run.ts';

// One replica of a run's model: says when it is loaded, then encodes blocks of states into shared memory.
const shared = workerData as EncodeStatesWorkerData;
const port = parentPort!;
try {
  const { model, data } = await loadRun(shared.runDir, shared.backend);
  port.postMessage({ ready: true });
  port.postMessage({ blocks: encodeBlocks(model, data, shared) });
} catch (err) {
  port.postMessage({ error: (err as Error).stack ?? String(err) });
}
