import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UdrOptions } from '../metrics/udr.ts';

/** What `untangle udr SWEEP` writes into the sweep folder. */
export const UDR_FILE = 'udr.json';

export interface SweepUdr {
  options: UdrOptions;
  seed: number;
  /** per finished job: its group (model, dataset, hyperparameters without the seed) and UDR */
  runs: { id: string; group: string; udr: number | null }[];
  pairwise: (number | null)[][];
}

/** The UDR of each job id, when `untangle udr` has been run on the sweep. */
export function readUdrScores(sweepDir: string): Map<string, number> {
  const path = join(sweepDir, UDR_FILE);
  if (!existsSync(path)) return new Map();
  const report = JSON.parse(readFileSync(path, 'utf8')) as SweepUdr;
  return new Map(report.runs.filter((r) => r.udr != null).map((r) => [r.id, r.udr as number]));
}
