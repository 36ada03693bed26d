import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import { makeOutputDir } from '../io/out-dir.ts';
import { readJsonSync } from '../io/read-json.ts';
import type { SweepJob, SweepSpec } from './spec.ts';

export const SWEEP_FILE = 'sweep.json';

/**
 * Records the sweep's jobs in its folder. Re-submitting the same or a grown sweep to the same folder adds
 * jobs; finished jobs keep their results (a job's id is the hash of its config).
 */
export async function writeSweepFile(dir: string, spec: SweepSpec, jobs: SweepJob[]): Promise<void> {
  await makeOutputDir(dir);
  const previous = existsSync(join(dir, SWEEP_FILE)) ? readSweepFile(dir).jobs : [];
  const byId = new Map([...previous, ...jobs].map((j) => [j.id, j]));
  await writeFileAtomic(
    join(dir, SWEEP_FILE),
    `${JSON.stringify({ spec, jobs: [...byId.values()] }, null, 2)}\n`,
  );
}

export function readSweepFile(dir: string): { spec: SweepSpec; jobs: SweepJob[] } {
  const path = join(dir, SWEEP_FILE);
  if (!existsSync(path)) throw new InputError(`${dir} is not a sweep folder: it has no ${SWEEP_FILE}`);
  return readJsonSync(path) as { spec: SweepSpec; jobs: SweepJob[] };
}
