import { constants } from 'node:fs';
import { access, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { InputError } from './input-error.ts';

/** Kernel file systems: nothing can be written there (and recursive mkdir loops on /proc). */
const VIRTUAL = ['/proc', '/sys', '/dev'];

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code ?? e.message;
}

/**
 * Creates folder `dir` (and its missing parents, one at a time) for output, or checks an existing one is
 * a writable folder; anything else (a path under a file, a read-only folder, /proc, /sys) is one
 * InputError naming `flag` and the path.
 */
export async function makeOutputDir(dir: string, flag = '--out'): Promise<void> {
  const full = resolve(dir);
  const missing: string[] = [];
  let existing = full;
  for (;;) {
    try {
      const info = await stat(existing);
      if (!info.isDirectory()) {
        throw new InputError(
          `${flag} ${dir}: ${existing} is a file, not a folder: choose a folder for the output`,
        );
      }
      break;
    } catch (err) {
      if (err instanceof InputError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR') {
        missing.unshift(existing);
        existing = dirname(existing);
        continue;
      }
      if (code !== 'ENOENT') throw new InputError(`${flag} ${dir}: cannot use ${existing} (${reason(err)})`);
      if (dirname(existing) === existing) throw new InputError(`${flag} ${dir}: no folder to create it in`);
      missing.unshift(existing);
      existing = dirname(existing);
    }
  }
  const real = await realpath(existing).catch(() => existing);
  if (VIRTUAL.some((v) => real === v || real.startsWith(`${v}${sep}`))) {
    throw new InputError(
      `${flag} ${dir}: ${real} is a kernel file system (${real.split(sep)[1]}), not writable output`,
    );
  }
  try {
    await access(existing, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new InputError(`${flag} ${dir}: folder ${existing} is not writable (${reason(err)})`);
  }
  for (const folder of missing) {
    try {
      await mkdir(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new InputError(`${flag} ${dir}: cannot create ${folder} (${reason(err)})`);
    }
  }
}

/**
 * Checks that file `path` can be written (its folder exists, is writable and not a kernel file system;
 * the path is not a folder) before any work is done for it.
 */
export async function checkOutputFile(path: string, flag = '--out'): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) throw new InputError(`${flag} ${path}: is a folder, expected a file name`);
  const folder = dirname(resolve(path));
  const parent = await stat(folder).catch(() => null);
  if (parent == null) throw new InputError(`${flag} ${path}: folder ${folder} does not exist`);
  if (!parent.isDirectory()) throw new InputError(`${flag} ${path}: ${folder} is a file, not a folder`);
  await makeOutputDir(folder, `${flag} ${path}: folder`);
}
