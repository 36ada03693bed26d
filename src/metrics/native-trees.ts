/**
 * The native loops of the tree grower (src/engine/kernels/native/tree.c), where they can run: Node on
 * linux-x64 with AVX2/FMA, unless UNTANGLE_NATIVE=0 (the same rule as addon.ts' nativeAddon). Found at run
 * time, like factor-threads.ts' Node modules: the metrics are in the browser API too, and a bundler must
 * see no import of Node's modules nor of the .node file here. Elsewhere undefined: the JS loops run, with
 * the same results bit for bit.
 */
export interface TreeKernels {
  treeScan(
    values: Float32Array,
    rows: Int32Array,
    r: Float64Array,
    n: number,
    features: number,
    start: number,
    end: number,
    sum: number,
    bestImprovement: Float64Array,
    bestLeft: Int32Array,
    bestThreshold: Float64Array,
  ): void;
  treePartition(
    split: number,
    rows: Int32Array,
    values: Float32Array,
    toRows: Int32Array,
    toValues: Float32Array,
    goesLeft: Uint8Array,
    spareRows: Int32Array,
    spareValues: Float32Array,
    n: number,
    features: number,
    start: number,
    end: number,
    nl: number,
  ): void;
  /** out[i·outputs + output] += scale · the leaf value of row i of x32 [n, features] in one tree */
  treePredict(
    feature: Int32Array,
    threshold: Float64Array,
    left: Int32Array,
    right: Int32Array,
    value: Float64Array,
    x32: Float32Array,
    n: number,
    features: number,
    scale: number,
    out: Float64Array,
    outputs: number,
    output: number,
  ): void;
}

/** addon.ts' PREBUILT_ADDON, relative to this file (kept a variable so no bundler follows it). */
const ADDON = '../engine/kernels/native/prebuilt/untangle-linux-x64.node';

interface NodeProcess {
  platform: string;
  arch: string;
  env: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

let cached: TreeKernels | undefined | null = null;

export function treeKernels(): TreeKernels | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  const process = (globalThis as { process?: NodeProcess }).process;
  if (!process?.getBuiltinModule || process.env.UNTANGLE_NATIVE === '0') return cached;
  if (process.platform !== 'linux' || process.arch !== 'x64') return cached;
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');
  try {
    const addon = createRequire(import.meta.url)(fileURLToPath(new URL(ADDON, import.meta.url))) as {
      avx2(): boolean;
    } & Partial<TreeKernels>;
    if (addon.avx2() && addon.treeScan && addon.treePartition && addon.treePredict)
      cached = addon as TreeKernels;
  } catch {
    // no addon here: the JS loops
  }
  return cached;
}
