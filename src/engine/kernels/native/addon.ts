import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The N-API addon built from the C source beside this file (addon.c, gemm.c, conv.c, elementwise.c, optimizer.c, tree.c, logistic.c). */
export interface NativeAddon {
  avx2(): boolean;
  conv2d(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array | null,
    relu: number,
    y: Float32Array,
    geometry: Int32Array,
    threads: number,
  ): void;
  conv2dFilterGrad(x: Float32Array, dy: Float32Array, dw: Float32Array, geometry: Int32Array): void;
  conv2dInputGrad(dy: Float32Array, w: Float32Array, dx: Float32Array, geometry: Int32Array): void;
  matmul(
    a: Float32Array,
    b: Float32Array,
    c: Float32Array,
    batch: number,
    m: number,
    n: number,
    k: number,
    transposeA: number,
    transposeB: number,
    broadcastA: number,
    broadcastB: number,
  ): void;
  sumLeading(x: Float32Array, out: Float32Array, reduced: number, kept: number): void;
  sumTrailing(x: Float32Array, out: Float32Array, kept: number, reduced: number): void;
  /** out = a op b (op: index in elementwise.ts' BINARY_OPS); b as long as a, or repeated along its leading axes */
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /**
   * out = a fused op of src/engine/fused-ops.ts (op: index in fused-kernels.ts' FUSED_KERNELS) of its
   * inputs, all as long as out: ReLU's gradient (dy, x), the Bernoulli loss (logits, x), its gradient
   * (dy, logits, x)
   */
  fused(op: number, out: Float32Array, ...inputs: Float32Array[]): void;
  /** out = f(x) (op: index in UNARY_OPS); alpha is Step's value where x <= 0 */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** out = Σ weights[j]·parts[j], each term added in float64 (gradients.ts' weightedMean) */
  weightedSum(parts: Float32Array[], weights: Float64Array, out: Float32Array): void;
  /** one Adam step in place, adam.ts' arithmetic; constants [lr_t, β1, β2, ε, 1-β1, 1-β2] */
  adam(theta: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, constants: Float64Array): void;
  /** each feature's best split of a node segment (tree.c, for src/metrics/tree-grower.ts via native-metrics.ts) */
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
  /** every feature's segment copied stably into toRows/toValues, the split feature's first nl rows left */
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
  /**
   * the multinomial logistic loss and its gradient into grad (logistic.c, for
   * src/metrics/logistic-regression.ts): x as columns [features][n], w and grad [k][features + 1]
   */
  logisticObjective(
    x: Float64Array,
    y: Int32Array,
    rowWeight: Float64Array,
    n: number,
    features: number,
    k: number,
    c: number,
    ridge: number,
    w: Float64Array,
    grad: Float64Array,
  ): number;
}

/** The shipped build: linux-x64 only, made by `npm run build:native`. */
export const PREBUILT_ADDON = fileURLToPath(new URL('./prebuilt/untangle-linux-x64.node', import.meta.url));

/** Loads an addon file; undefined where it cannot load or this CPU lacks AVX2/FMA. */
export function loadAddon(path: string): NativeAddon | undefined {
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    return addon.avx2() ? addon : undefined;
  } catch {
    return undefined;
  }
}

let cached: NativeAddon | undefined | null = null;

/**
 * The native kernels where they can run: linux-x64 with AVX2 and FMA, unless UNTANGLE_NATIVE=0.
 * Everywhere else undefined, and the wasm kernels are used.
 */
export function nativeAddon(): NativeAddon | undefined {
  if (cached !== null) return cached;
  const wanted =
    process.env.UNTANGLE_NATIVE !== '0' && process.platform === 'linux' && process.arch === 'x64';
  cached = wanted ? loadAddon(PREBUILT_ADDON) : undefined;
  return cached;
}

let forwardThreads = 1;

/**
 * Threads each native forward conv spreads over (inference: `untangle evaluate` encodes on every core).
 * Training keeps 1: its data-parallel workers already use every core. Per JS thread; same results for any count.
 */
export function setNativeForwardThreads(threads: number): void {
  forwardThreads = Math.max(1, Math.min(64, Math.floor(threads)));
}

export function nativeForwardThreads(): number {
  return forwardThreads;
}
