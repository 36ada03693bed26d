import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A lock not renewed for this long belongs to a dead process on another machine. */
export const LOCK_STALE_MS = 120_000;
const RENEW_MS = 10_000;

interface LockOwner {
  host: string;
  pid: number;
  token: string;
}

export interface JobLock {
  /** removes the lock (if it is still this process's) and stops renewing it */
  release(): Promise<void>;
}

export const lockPathOf = (sweepDir: string, id: string) => join(sweepDir, 'runs', `.${id}.lock`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock's owner is gone: a dead pid on this machine, or no renewal for LOCK_STALE_MS. */
async function isStale(path: string, text: string): Promise<boolean> {
  let owner: LockOwner | null = null;
  try {
    owner = JSON.parse(text) as LockOwner;
  } catch {}
  if (owner != null && owner.host === hostname() && typeof owner.pid === 'number') return !alive(owner.pid);
  try {
    return Date.now() - (await stat(path)).mtimeMs > LOCK_STALE_MS;
  } catch {
    return true;
  }
}

/**
 * Takes a job's lock (`runs/.ID.lock`, created exclusively) so that no two processes, here or on other
 * machines sharing the folder, ever train one job at once. Waits while a live process holds it; takes
 * over the lock of a dead one (kill -9). The holder renews it every 10 s.
 */
export async function acquireJobLock(
  sweepDir: string,
  id: string,
  { pollMs = 500, onWait }: { pollMs?: number; onWait?: (owner: string) => void } = {},
): Promise<JobLock> {
  const path = lockPathOf(sweepDir, id);
  await mkdir(join(sweepDir, 'runs'), { recursive: true });
  const me: LockOwner = { host: hostname(), pid: process.pid, token: randomBytes(8).toString('hex') };
  const text = JSON.stringify(me);
  let told = false;
  for (;;) {
    try {
      await writeFile(path, text, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let held: string;
    try {
      held = await readFile(path, 'utf8');
    } catch {
      continue; // released meanwhile
    }
    if (await isStale(path, held)) {
      // remove it only if it is still the stale one we read
      if ((await readFile(path, 'utf8').catch(() => null)) === held) await unlink(path).catch(() => {});
      continue;
    }
    if (!told) onWait?.(held);
    told = true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const renew = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, RENEW_MS);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      if ((await readFile(path, 'utf8').catch(() => null)) === text) await unlink(path).catch(() => {});
    },
  };
}
