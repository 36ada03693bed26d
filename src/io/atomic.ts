import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A sibling temp path: same folder, so the final rename is atomic. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file so that readers see either the old content or the whole new one, never a part. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Replaces a whole folder atomically enough to survive kill -9 at any point: the new content is built
 * in a temp folder by `fill`, the old folder is moved aside to `<dir>.old`, the new one renamed into
 * place, the old one removed. A reader that finds no `<dir>` falls back to `<dir>.old`.
 */
export async function replaceDirAtomic(dir: string, fill: (tempDir: string) => Promise<void>): Promise<void> {
  await removeStaleTemps(dirname(dir));
  const temp = tempPathFor(dir);
  const old = `${dir}.old`;
  await mkdir(temp, { recursive: true });
  try {
    await fill(temp);
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
  await rm(old, { recursive: true, force: true });
  if (existsSync(dir)) await rename(dir, old);
  await rename(temp, dir);
  await rm(old, { recursive: true, force: true });
}

const TEMP_NAME = /^\..+\.tmp-(\d+)-[0-9a-f]{8}$/;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temp files and folders (`.NAME.tmp-PID-xxxxxxxx`) that processes killed mid-write left in
 * `folder`: those of a PID that no longer runs. A live writer's temp is left alone.
 */
export async function removeStaleTemps(folder: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(TEMP_NAME.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !processAlive(pid)) {
      await rm(join(folder, name), { recursive: true, force: true });
    }
  }
}

/** The folder replaceDirAtomic left complete: `dir`, or `<dir>.old` if killed between its renames. */
export function completedDir(dir: string): string | undefined {
  if (existsSync(dir)) return dir;
  if (existsSync(`${dir}.old`)) return `${dir}.old`;
  return undefined;
}
