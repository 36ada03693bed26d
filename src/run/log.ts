import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { excerpt } from '../io/excerpt.ts';
import { InputError } from '../io/input-error.ts';

export const LOG_FILE = 'log.jsonl';

/** One line of log.jsonl. */
export interface LogEntry {
  step: number;
  total: number;
  [term: string]: number | number[];
}

/**
 * The entries of a run's log (`file`: another log-format file in the folder). A last line without its
 * newline that does not parse is one a kill cut short while it was appended: dropped. Any other line
 * that is not a log entry is an InputError naming the file and line.
 */
export function readLog(runDir: string, file = LOG_FILE): LogEntry[] {
  const path = join(runDir, file);
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  const entries: LogEntry[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    const torn = i === lines.length - 1; // no newline after it
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      if (torn) break;
      throw new InputError(`${path}: line ${i + 1} is not JSON: ${excerpt(line)}`);
    }
    const value = entry as LogEntry;
    if (typeof value !== 'object' || value === null || !Number.isInteger(value.step)) {
      if (torn) break;
      throw new InputError(
        `${path}: line ${i + 1} is not a log entry (expected {"step": N, ...}): ${excerpt(line)}`,
      );
    }
    entries.push(value);
  }
  return entries;
}

/** A killed run may have logged past its last checkpoint: drop those lines before continuing. */
export async function truncateLog(runDir: string, step: number): Promise<void> {
  const kept = readLog(runDir).filter((e) => e.step <= step);
  await writeFileAtomic(join(runDir, LOG_FILE), kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
}
