import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { completedDir } from '../io/atomic.ts';
import { makeOutputDir } from '../io/out-dir.ts';
import { readState } from '../run/checkpoint.ts';
import { LATENT_FILE } from '../run/latent-file.ts';
import { CONFIG_FILE } from '../run/load-run.ts';
import { UsageError } from './errors.ts';

/** What a start that failed before its first checkpoint leaves (besides hidden temp files). */
const FAILED_START_FILES = new Set([CONFIG_FILE, 'log.jsonl', LATENT_FILE]);

/** Whether a run folder has a checkpoint to resume (checkpoint.old: killed between two renames). */
export function hasCheckpoint(dir: string): boolean {
  const checkpoint = completedDir(join(dir, 'checkpoint'));
  return checkpoint != null && existsSync(join(checkpoint, 'state.json'));
}

/**
 * Creates a run folder. An existing non-empty one is refused unless `overwrite`, except one a failed
 * start left (only config.json, log.jsonl and latent.json, no checkpoint), which a re-run takes over. A run replaced
 * by `overwrite` is moved aside, not deleted: when the command exits it is removed if the command
 * succeeded or the new run has a checkpoint, else put back (nothing lost to a config that fails).
 */
export async function prepareRunDir(dir: string, overwrite: boolean): Promise<void> {
  const names = existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
  if (names.length > 0 && names.every((n) => FAILED_START_FILES.has(n)) && !hasCheckpoint(dir)) {
    process.stderr.write(`taking over ${dir}: a start that failed before its first checkpoint\n`);
    await rm(dir, { recursive: true, force: true });
  } else if (names.length > 0) {
    if (!overwrite) {
      throw new UsageError(
        `run folder ${dir} already exists and is not empty: pass --overwrite to replace it, or choose another --out`,
      );
    }
    const aside = join(dirname(resolve(dir)), `.${basename(resolve(dir))}.replaced-${process.pid}`);
    await rm(aside, { recursive: true, force: true });
    await rename(dir, aside);
    process.once('exit', (code) => {
      if (code === 0 || hasCheckpoint(dir)) rmSync(aside, { recursive: true, force: true });
      else {
        rmSync(dir, { recursive: true, force: true });
        renameSync(aside, dir);
      }
    });
  }
  await makeOutputDir(dir);
}

/**
 * Whether `--resume` continues from a checkpoint; a folder whose start failed before its first
 * checkpoint has none, so it restarts from step 0 (its partial log dropped).
 */
export async function resumeOrRestart(runDir: string): Promise<boolean> {
  if (hasCheckpoint(runDir)) return true;
  process.stderr.write(`${runDir}: no checkpoint yet, training it from step 0\n`);
  await rm(join(runDir, 'log.jsonl'), { force: true });
  return false;
}

/**
 * Before `train --resume` rewrites config.json (new --steps): refuses a checkpoint past the run's steps,
 * and puts the old config.json back if the command then fails without a newer checkpoint.
 */
export async function guardResume(runDir: string, steps: number): Promise<void> {
  const checkpoint = completedDir(join(runDir, 'checkpoint'));
  if (checkpoint == null) return;
  const { step } = await readState(join(checkpoint, 'state.json'));
  if (step > steps) {
    throw new UsageError(
      `${join(checkpoint, 'state.json')}: step ${step} is past the run's ${steps} steps (a damaged checkpoint, or pass --steps N above ${step})`,
    );
  }
  const configPath = join(runDir, CONFIG_FILE);
  const before = readFileSync(configPath);
  process.once('exit', (code) => {
    if (code === 0) return;
    const now = completedDir(join(runDir, 'checkpoint'));
    let after = step;
    try {
      after = JSON.parse(readFileSync(join(now ?? checkpoint, 'state.json'), 'utf8')).step;
    } catch {}
    if (after === step) writeFileSync(configPath, before);
  });
}
