import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { completedDir } from '../io/atomic.ts';

/** What a failed run leaves to resume from, for its error message: the checkpoint, or that there is none. */
export function lastCheckpointNote(runDir: string): string {
  const dir = completedDir(join(runDir, 'checkpoint'));
  if (dir != null && existsSync(join(dir, 'state.json'))) return `the last good checkpoint is kept in ${dir}`;
  return `no checkpoint was written before it (nothing to resume): train ${runDir} again with other settings`;
}
