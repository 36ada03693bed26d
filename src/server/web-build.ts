import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { completedDir, replaceDirAtomic } from '../io/atomic.ts';

/** The dashboard's sources (web/ at the package root) and where their build goes (web/dist, gitignored). */
export const WEB_DIR = resolve(import.meta.dirname, '..', '..', 'web');
const STAMP = 'build-stamp.json';

/** Files of web/ that make up the app: everything but the build output and hidden temp folders. */
function sourceFiles(webDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (dir === webDir && (entry.name === 'dist' || entry.name === 'dist.old')) continue;
        walk(path);
      } else if (entry.isFile()) out.push(path);
    }
  };
  walk(webDir);
  return [...out.sort(), ...importedOutside(webDir, out)];
}

/**
 * Files outside web/ that its sources import by relative path (src/models/decoder-output.ts, the API
 * types), and what those import in turn: part of the bundle, so part of the hash.
 */
function importedOutside(webDir: string, files: readonly string[]): string[] {
  const found = new Set<string>();
  const scan = (file: string) => {
    if (!/\.tsx?$/.test(file)) return;
    for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+\.tsx?)'/g)) {
      const path = resolve(dirname(file), m[1]);
      if (!relative(webDir, path).startsWith('..') || found.has(path) || !existsSync(path)) continue;
      found.add(path);
      scan(path);
    }
  };
  for (const file of files) scan(file);
  return [...found].sort();
}

/**
 * A hash of the app's sources and of the packages they are bundled from: the build is redone when it
 * changes (content, not mtimes, so a fresh clone or a checkout decides correctly).
 */
export function webSourceHash(webDir: string = WEB_DIR): string {
  const hash = createHash('sha256');
  // the app also bundles the WGSL kernels from src/ (web/src/webgpu.ts)
  const kernels = join(webDir, '..', 'src', 'engine', 'kernels', 'webgpu');
  for (const file of [...sourceFiles(webDir), ...(existsSync(kernels) ? sourceFiles(kernels) : [])]) {
    hash.update(relative(webDir, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  const pkg = join(webDir, '..', 'package.json');
  if (existsSync(pkg)) hash.update(JSON.stringify(JSON.parse(readFileSync(pkg, 'utf8')).dependencies ?? {}));
  return hash.digest('hex');
}

/** The built app's folder when it is there and matches the sources, else null. */
export function currentBuild(webDir: string = WEB_DIR): string | null {
  const dist = completedDir(join(webDir, 'dist'));
  if (dist == null || !existsSync(join(dist, 'index.html'))) return null;
  try {
    const stamp = JSON.parse(readFileSync(join(dist, STAMP), 'utf8')) as { hash?: string };
    return stamp.hash === webSourceHash(webDir) ? dist : null;
  } catch {
    return null;
  }
}

/**
 * Builds web/ into web/dist with Vite's JS API when the build is missing or older than the sources,
 * and returns the folder to serve. The new build replaces the old one atomically, so a server reading
 * the old one (or a second builder) never sees half a build.
 */
export async function ensureWebBuild(
  webDir: string = WEB_DIR,
  onBuild?: () => void,
): Promise<{ dist: string; built: boolean }> {
  const current = currentBuild(webDir);
  if (current) return { dist: current, built: false };
  onBuild?.();
  const hash = webSourceHash(webDir);
  const dist = join(webDir, 'dist');
  const { build } = await import('vite');
  await replaceDirAtomic(dist, async (outDir) => {
    await build({
      root: webDir,
      configFile: false,
      // relative asset URLs: the app works wherever the server mounts it
      base: './',
      logLevel: 'warn',
      publicDir: false,
      oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
      build: {
        outDir,
        emptyOutDir: true,
        reportCompressedSize: false,
        // tfjs is one large chunk by nature
        chunkSizeWarningLimit: 4096,
      },
    });
    await writeFile(join(outDir, STAMP), JSON.stringify({ hash, built: new Date().toISOString() }));
  });
  return { dist, built: true };
}
