import type { DataType, TensorInfo } from '@tensorflow/tfjs-core';
import type { ProgramUniform, WebgpuBackend, WebgpuProgram } from './program.ts';

/**
 * One tiled GEMM shader, C[z][m][n] = finish(Σ_k A(z,m,k)·B(z,k,n)), that every matmul and (implicit
 * GEMM) convolution of ours instantiates with its own gathers. A 16x16 workgroup computes a BM x BN
 * tile, each thread TM x TN outputs in registers; each step stages a BK-deep slice of A and B in
 * workgroup memory. z is the batch of a batched matmul or, for split-K, the slice of K this
 * workgroup sums (its partial sums are reduced by `reduceSplits`).
 */
export interface GemmSpec {
  /** what distinguishes this GEMM's WGSL (gathers, epilogue) for the pipeline cache */
  key: string;
  /** input tensor names, bound in order; the gathers read them */
  variableNames: string[];
  /** WGSL: `fn loadA(z : i32, m : i32, k : i32) -> f32` (0 < m < M, 0 < k < K are checked before) */
  loadA: string;
  /** WGSL: `fn loadB(z : i32, k : i32, n : i32) -> f32` */
  loadB: string;
  /** WGSL: `fn finish(m : i32, n : i32, acc : f32) -> f32`; identity by default */
  finish?: string;
  /**
   * WGSL: `fn outIndex(slice : i32, z : i32, m : i32, n : i32) -> i32`, where C[z][m][n] goes in the
   * output (negative: nowhere); by default batch-major [z][m][n]. A GEMM with its own layout is not split.
   */
  outIndex?: string;
  /** which index runs fastest across threads when a tile is staged: the contiguous one in memory */
  aFastest: 'm' | 'k';
  bFastest: 'k' | 'n';
  /** extra uniform fields (WGSL, each `name : i32,`) and their values, in order */
  uniforms: string;
  uniformValues: ProgramUniform[];
}

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  /** batches of a batched matmul (1 for a convolution) */
  batches: number;
}

const BK = 16;
const MAX_WORKGROUPS_PER_DIM = 65535;
/** enough workgroups in flight to fill a large GPU; split-K aims for this many */
const TARGET_WORKGROUPS = 512;

// UNTANGLE_GEMM_SIDE overrides the threads per tile side (8 or 16), for profiling on a real GPU
const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env;
const THREADS_SIDE = Number(env?.UNTANGLE_GEMM_SIDE ?? 8);

/** Tile side for a GEMM dimension: one thread per row/column for small ones, up to 4 per thread. */
function tileFor(size: number): number {
  const side = THREADS_SIDE;
  return size <= side ? side : size <= 2 * side ? 2 * side : 4 * side;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function gemmProgram(spec: GemmSpec, shape: GemmShape, splits: number, outputShape: number[]): WebgpuProgram {
  const side = THREADS_SIDE;
  const threads = side * side;
  const bm = tileFor(shape.M);
  const bn = tileFor(shape.N);
  const tm = bm / side;
  const tn = bn / side;
  const tilesM = Math.ceil(shape.M / bm);
  const tilesN = Math.ceil(shape.N / bn);
  const depth = shape.batches * splits;
  if (tilesM > MAX_WORKGROUPS_PER_DIM || tilesN > MAX_WORKGROUPS_PER_DIM || depth > MAX_WORKGROUPS_PER_DIM) {
    throw new Error(
      `webgpu GEMM ${spec.key}: ${shape.M}x${shape.N} in ${depth} slices exceeds the dispatch limit`,
    );
  }
  // staging: each thread loads (tile elements / threads) values of A and of B, unrolled
  const stage = (tile: 'A' | 'B', outer: number, fastest: 'outer' | 'k') =>
    range((outer * BK) / threads)
      .map((r) => {
        const index = `tid + ${r * threads}`;
        const [o, kk] =
          fastest === 'outer'
            ? [`(${index}) % ${outer}`, `(${index}) / ${outer}`]
            : [`(${index}) / ${BK}`, `(${index}) % ${BK}`];
        const load =
          tile === 'A'
            ? `if (row${r} < uniforms.M && k${r} < kEnd) { v${r} = loadA(z, row${r}, k${r}); }`
            : `if (col${r} < uniforms.N && k${r} < kEnd) { v${r} = loadB(z, k${r}, col${r}); }`;
        const base = tile === 'A' ? 'm0' : 'n0';
        const name = tile === 'A' ? 'row' : 'col';
        return `{
            let o${r} = ${o};
            let kk${r} = ${kk};
            let ${name}${r} = ${base} + o${r};
            let k${r} = k0 + kk${r};
            var v${r} = 0.0;
            ${load}
            tile${tile}[kk${r}][o${r}] = v${r};
          }`;
      })
      .join('\n');
  const accDecl = range(tm)
    .flatMap((i) => range(tn).map((j) => `var acc${i}_${j} = 0.0;`))
    .join(' ');
  const inner = `
            ${range(tm)
              .map((i) => `let a${i} = tileA[kk][ty + ${i * side}];`)
              .join(' ')}
            ${range(tn)
              .map((j) => `let b${j} = tileB[kk][tx + ${j * side}];`)
              .join(' ')}
            ${range(tm)
              .flatMap((i) => range(tn).map((j) => `acc${i}_${j} = fma(a${i}, b${j}, acc${i}_${j});`))
              .join(' ')}`;
  const store = range(tm)
    .flatMap((i) =>
      range(tn).map(
        (j) => `{
          let m = m0 + ty + ${i * side};
          let n = n0 + tx + ${j * side};
          if (m < uniforms.M && n < uniforms.N) {
            let at = outIndex(slice, z, m, n);
            if (at >= 0) { result[at] = finish(m, n, acc${i}_${j}); }
          }
        }`,
      ),
    )
    .join('\n');
  return {
    variableNames: spec.variableNames,
    outputShape,
    shaderKey: `untangleGemm_${spec.key}_${bm}_${bn}_${side}`,
    dispatchLayout: { x: [], y: [0], z: [] },
    dispatch: [tilesN, tilesM, depth],
    workgroupSize: [side, side, 1],
    uniforms: `M : i32, N : i32, K : i32, kChunk : i32, batches : i32, ${spec.uniforms}`,
    getUserCode: () => `
      const BK = ${BK};
      var<workgroup> tileA : array<array<f32, ${bm}>, ${BK}>;
      var<workgroup> tileB : array<array<f32, ${bn}>, ${BK}>;
      ${spec.loadA}
      ${spec.loadB}
      ${spec.finish ?? 'fn finish(m : i32, n : i32, acc : f32) -> f32 { return acc; }'}
      ${spec.outIndex ?? 'fn outIndex(slice : i32, z : i32, m : i32, n : i32) -> i32 { return (slice * uniforms.M + m) * uniforms.N + n; }'}
      fn main() {
        let tx = i32(localId.x);
        let ty = i32(localId.y);
        let tid = ty * ${side} + tx;
        let m0 = i32(workgroupId.y) * ${bm};
        let n0 = i32(workgroupId.x) * ${bn};
        let slice = i32(workgroupId.z);
        let z = slice % uniforms.batches;
        let kBegin = (slice / uniforms.batches) * uniforms.kChunk;
        let kEnd = min(kBegin + uniforms.kChunk, uniforms.K);
        ${accDecl}
        // the step count depends on uniforms only, so the barriers below sit in uniform control flow
        let steps = (uniforms.kChunk + BK - 1) / BK;
        for (var step = 0; step < steps; step = step + 1) {
          let k0 = kBegin + step * BK;
          ${stage('A', bm, spec.aFastest === 'm' ? 'outer' : 'k')}
          ${stage('B', bn, spec.bFastest === 'n' ? 'outer' : 'k')}
          workgroupBarrier();
          // a short K (a dense layer's weight gradient: K = batch) fills only part of the slice
          let kkEnd = min(BK, kEnd - k0);
          for (var kk = 0; kk < kkEnd; kk = kk + 1) {${inner}
          }
          workgroupBarrier();
        }
        ${store}
      }
    `,
  };
}

/**
 * Sums `splits` partial [batches*M*N] results laid one after another, then applies the GEMM's epilogue
 * (`finish`: bias, activation), which must see the whole sum. The epilogue's own inputs (after A's and
 * B's) and uniforms come along.
 */
function reduceProgram(spec: GemmSpec, size: number, outputShape: number[]): WebgpuProgram {
  const workgroup = 256;
  const groups = Math.ceil(size / workgroup);
  const dispatchX = Math.min(groups, MAX_WORKGROUPS_PER_DIM);
  return {
    variableNames: ['partial', ...spec.variableNames.slice(2)],
    outputShape,
    shaderKey: `untangleReduceSplits_${spec.finish ? spec.key : 'sum'}`,
    dispatchLayout: { x: [], y: [0], z: [] },
    dispatch: [dispatchX, Math.ceil(groups / dispatchX), 1],
    workgroupSize: [workgroup, 1, 1],
    uniforms: `count : i32, splits : i32, M : i32, N : i32, ${spec.uniforms}`,
    getUserCode: () => `
      ${spec.finish ?? 'fn finish(m : i32, n : i32, acc : f32) -> f32 { return acc; }'}
      fn main() {
        let i = i32(workgroupId.y * numWorkgroups.x + workgroupId.x) * ${workgroup} + i32(localId.x);
        if (i >= uniforms.count) { return; }
        var s = 0.0;
        for (var p = 0; p < uniforms.splits; p = p + 1) { s = s + partial[p * uniforms.count + i]; }
        result[i] = finish((i / uniforms.N) % uniforms.M, i % uniforms.N, s);
      }
    `,
  };
}

/** How many K slices a GEMM with few output tiles and a long K is split into (1 = no split). */
export function splitCount(shape: GemmShape): number {
  const tiles = Math.ceil(shape.M / tileFor(shape.M)) * Math.ceil(shape.N / tileFor(shape.N)) * shape.batches;
  if (tiles >= TARGET_WORKGROUPS) return 1;
  const byWork = Math.floor(shape.K / (BK * 8));
  return Math.max(1, Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), byWork, 1024));
}

/**
 * Runs the GEMM, with split-K where `splits` > 1, into a tensor of `outputShape` (batches*M*N values,
 * batch-major, then m, then n).
 */
export function runGemm(
  backend: WebgpuBackend,
  spec: GemmSpec,
  inputs: TensorInfo[],
  shape: GemmShape,
  outputShape: number[],
  splits = 1,
  dtype: DataType = 'float32',
): TensorInfo {
  const kChunk = Math.ceil(shape.K / (spec.outIndex ? 1 : splits) / BK) * BK;
  const used = Math.max(1, Math.ceil(shape.K / kChunk));
  const uniforms: ProgramUniform[] = [
    { type: 'int32', data: [shape.M] },
    { type: 'int32', data: [shape.N] },
    { type: 'int32', data: [shape.K] },
    { type: 'int32', data: [kChunk] },
    { type: 'int32', data: [shape.batches] },
    ...spec.uniformValues,
  ];
  if (used === 1) {
    return backend.runWebGPUProgram(gemmProgram(spec, shape, 1, outputShape), inputs, dtype, uniforms);
  }
  const count = shape.batches * shape.M * shape.N;
  // the slices sum raw products; the epilogue runs once, on the sum
  const partial = backend.runWebGPUProgram(
    gemmProgram(
      {
        ...spec,
        key: `${spec.key}_partial`,
        variableNames: spec.variableNames.slice(0, 2),
        finish: undefined,
      },
      shape,
      used,
      [used * count],
    ),
    inputs.slice(0, 2),
    dtype,
    uniforms,
  );
  const out = backend.runWebGPUProgram(
    reduceProgram(spec, count, outputShape),
    [partial, ...inputs.slice(2)],
    dtype,
    [
      { type: 'int32', data: [count] },
      { type: 'int32', data: [used] },
      { type: 'int32', data: [shape.M] },
      { type: 'int32', data: [shape.N] },
      ...spec.uniformValues,
    ],
  );
  backend.disposeData(partial.dataId);
  return out;
}

/** WGSL for a fused activation applied in a GEMM's epilogue (tfjs's fused-op activation names). */
export function activationWgsl(activation: string | undefined): string | undefined {
  switch (activation ?? 'linear') {
    case 'linear':
      return 'v';
    case 'relu':
      return 'max(v, 0.0)';
    case 'relu6':
      return 'clamp(v, 0.0, 6.0)';
    case 'elu':
      return 'select(exp(v) - 1.0, v, v >= 0.0)';
    case 'sigmoid':
      return '1.0 / (1.0 + exp(-v))';
    case 'leakyrelu':
      return 'select(uniforms.alpha * v, v, v >= 0.0)';
    default:
      return undefined;
  }
}
