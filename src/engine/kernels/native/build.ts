/**
 * `npm run build:native`: compiles the addon from addon.c and the kernel sources (KERNEL_SOURCES) with gcc, no network and no
 * node-gyp (the N-API headers come from the node-api-headers package). The kernels get AVX2 and FMA; the
 * N-API glue is built for plain x86-64 so that loading it is safe on any CPU.
 * Usage: tsx src/engine/kernels/native/build.ts [OUT] (default: the shipped prebuilt/ file).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PREBUILT_ADDON } from './addon.ts';

const sourceDir = dirname(fileURLToPath(import.meta.url));
const KERNEL_FLAGS = [
  '-O3',
  '-mavx2',
  '-mfma',
  '-fPIC',
  '-pthread',
  '-fno-ident',
  // no a*b+c contracted into FMA behind our back: optimizer.c must round as adam.ts does
  '-ffp-contract=off',
  // sqrt without errno, so it vectorizes (the results are the same)
  '-fno-math-errno',
  '-Wall',
  '-Wextra',
  '-Werror',
];
/** The AVX2/FMA sources (addon.c, the N-API glue, is built apart). */
const KERNEL_SOURCES = ['gemm', 'conv', 'elementwise', 'optimizer', 'tree', 'logistic'];
const GLUE_FLAGS = ['-O2', '-fPIC', '-fno-ident', '-Wall', '-Wextra', '-Werror'];

function headerDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('node-api-headers/package.json')), 'include');
}

/** The compiler's banner, recorded beside the shipped build: the same compiler rebuilds it byte for byte. */
export function compilerVersion(compiler = 'gcc'): string {
  return execFileSync(compiler, ['--version'], { encoding: 'utf8' }).split('\n')[0].trim();
}

export const BUILT_WITH = `${PREBUILT_ADDON}.compiler`;

/** Builds the addon into `out` (through a temporary file, then a rename); returns `out`. */
export function buildNative(out: string = PREBUILT_ADDON, compiler = 'gcc'): string {
  const work = mkdtempSync(join(tmpdir(), 'untangle-native-'));
  try {
    // Relative source names and -fno-ident keep the binary free of paths and compiler banners.
    const run = (args: string[]) => execFileSync(compiler, args, { cwd: sourceDir, stdio: 'inherit' });
    for (const name of KERNEL_SOURCES)
      run([...KERNEL_FLAGS, '-c', `${name}.c`, '-o', join(work, `${name}.o`)]);
    run([...GLUE_FLAGS, '-I', headerDir(), '-c', 'addon.c', '-o', join(work, 'addon.o')]);
    const linked = join(work, 'untangle.node');
    run([
      '-shared',
      '-s',
      '-pthread',
      '-o',
      linked,
      ...['addon', ...KERNEL_SOURCES].map((f) => join(work, `${f}.o`)),
    ]);
    const target = resolve(out);
    execFileSync('cp', [linked, `${target}.tmp`]);
    renameSync(`${target}.tmp`, target);
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = buildNative(process.argv[2]);
  if (process.argv[2] === undefined) writeFileSync(BUILT_WITH, `${compilerVersion()}\n`);
  process.stdout.write(`built ${target}\n`);
}
