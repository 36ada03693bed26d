/**
 * The metrics' native loops, where they can run: Node on linux-x64 with AVX2/FMA, unless UNTANGLE_NATIVE=0
 * (the same rule as addon.ts' nativeAddon): the tree grower's (src/engine/kernels/native/tree.c; the JS
 * loops elsewhere give the same trees bit for bit) and the logistic regression's objective (logistic.c;
 * the JS one elsewhere agrees to rounding). Found at run time, like factor-threads.ts' Node modules: the
 * metrics are in the browser API too, and a bundler must see no import of Node's modules nor of the .node
 * file here.
 */
import type { NativeAddon } from '../engine/kernels/native/addon.ts';

/** The addon's tree entry points (a type-only import: nothing of engine/ is loaded here). */
export type TreeKernels = Pick<NativeAddon, 'treeScan' | 'treePartition' | 'treePredict'>;
export type LogisticKernels = Pick<NativeAddon, 'logisticObjective'>;

/** addon.ts' PREBUILT_ADDON, relative to this file (kept a variable so no bundler follows it). */
const ADDON = '../engine/kernels/native/prebuilt/untangle-linux-x64.node';

interface NodeProcess {
  platform: string;
  arch: string;
  env: Record<string, string | undefined>;
  getBuiltinModule?: (name: string) => unknown;
}

type MetricAddon = { avx2(): boolean } & Partial<TreeKernels & LogisticKernels>;
let cached: MetricAddon | undefined | null = null;

function metricAddon(): MetricAddon | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  const process = (globalThis as { process?: NodeProcess }).process;
  if (!process?.getBuiltinModule || process.env.UNTANGLE_NATIVE === '0') return cached;
  if (process.platform !== 'linux' || process.arch !== 'x64') return cached;
  const { createRequire } = process.getBuiltinModule('node:module') as typeof import('node:module');
  const { fileURLToPath } = process.getBuiltinModule('node:url') as typeof import('node:url');
  try {
    const addon = createRequire(import.meta.url)(
      fileURLToPath(new URL(ADDON, import.meta.url)),
    ) as MetricAddon;
    if (addon.avx2()) cached = addon;
  } catch {
    // no addon here: the JS loops
  }
  return cached;
}

export function treeKernels(): TreeKernels | undefined {
  const addon = metricAddon();
  return addon?.treeScan && addon.treePartition && addon.treePredict ? (addon as TreeKernels) : undefined;
}

export function logisticKernels(): LogisticKernels | undefined {
  const addon = metricAddon();
  return addon?.logisticObjective ? (addon as LogisticKernels) : undefined;
}
