import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';

export const LOG_FILE = 'log.jsonl';

/** One line of log.jsonl. */
export interface LogEntry {
  step: number;
  total: number;
  [term: string]: number | number[];
}

/** The entries of a run's log (`file`: another log-format file in the folder). */
export function readLog(runDir: string, file = LOG_FILE): LogEntry[] {
  const path = join(runDir, file);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogEntry);
}

/** A killed run may have logged past its last checkpoint: drop those lines before continuing. */
export async function truncateLog(runDir: string, step: number): Promise<void> {
  const kept = readLog(runDir).filter((e) => e.step <= step);
  await writeFileAtomic(join(runDir, LOG_FILE), kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
}
