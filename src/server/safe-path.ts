import { realpathSync } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** A request the server refuses, with the HTTP status and a message naming what was wrong. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Splits a '/'-separated path from a URL into decoded segments, refusing anything that could leave the
 * folder it is resolved in: empty segments (`//`, a leading `/`: absolute paths), `.` and `..` (also
 * percent-encoded: `%2e%2e`), segments that decode to a separator (`..%2f`, `%5c`) or a NUL, and hidden
 * names (temp files and folders start with a dot).
 */
export function pathSegments(path: string, what = 'path'): string[] {
  if (path === '') return [];
  return path.split('/').map((raw) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, `${what}: "${raw}" is not valid percent-encoding`);
    }
    if (segment === '')
      throw new HttpError(400, `${what}: empty segment (absolute paths and // are refused)`);
    if (segment === '.' || segment === '..') throw new HttpError(400, `${what}: "." and ".." are refused`);
    if (/[/\\\0]/.test(segment)) throw new HttpError(400, `${what}: a segment may not contain / \\ or NUL`);
    if (segment.startsWith('.')) throw new HttpError(404, `${what}: hidden files are not served`);
    return segment;
  });
}

/** The real path of a folder, resolved once: what every served file must lie inside. */
export function realRoot(dir: string): string {
  return realpathSync(dir);
}

/**
 * The real path of `segments` under `root` (a real path), if it exists and, after following every
 * symlink, still lies inside root; otherwise an HttpError (404 for missing, 403 for outside).
 */
export async function resolveInside(root: string, segments: string[]): Promise<string> {
  let real: string;
  try {
    real = await realpath(join(root, ...segments));
  } catch {
    throw new HttpError(404, `not found: ${segments.join('/') || '/'}`);
  }
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw new HttpError(403, `${segments.join('/')}: points outside the served folder`);
  }
  return real;
}

/** Like resolveInside, for a regular file (not a folder). */
export async function resolveFileInside(root: string, segments: string[]): Promise<string> {
  const real = await resolveInside(root, segments);
  if (!(await stat(real)).isFile()) throw new HttpError(404, `not a file: ${segments.join('/')}`);
  return real;
}
