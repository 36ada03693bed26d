import type { TensorInfo } from '@tensorflow/tfjs-core';
import { getKernel } from '@tensorflow/tfjs-core';

/**
 * Helpers for project kernels that work on the wasm backend's heap directly: call another wasm kernel
 * without the engine (so nothing is taped or tracked), allocate and free outputs, view them as arrays.
 * Views must be taken after the last allocation: growing the heap detaches earlier views.
 */
export interface Wasm {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  disposeData(dataId: object): boolean;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

export function runKernel(
  backend: Wasm,
  name: string,
  inputs: Record<string, TensorInfo>,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const kernel = getKernel(name, 'wasm');
  if (kernel == null) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs: attrs as never }) as TensorInfo;
}

export function allocate(backend: Wasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32');
}

export function free(backend: Wasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

export function view(backend: Wasm, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** out[perm] = x: a 4-D transpose in plain loops, several times faster than the stock wasm kernel. */
export function transpose4d(backend: Wasm, x: TensorInfo, perm: readonly number[]): TensorInfo {
  const shape = x.shape;
  const outShape = perm.map((p) => shape[p]);
  const out = allocate(backend, outShape);
  const src = view(backend, x);
  const dst = view(backend, out);
  if (perm.join() === '3,1,2,0') {
    swapOuterAndInner(src, dst, shape[0], shape[1] * shape[2], shape[3]);
    return out;
  }
  const inStrides = [shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1];
  const [s0, s1, s2, s3] = perm.map((p) => inStrides[p]);
  const [n0, n1, n2, n3] = outShape;
  let o = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      for (let c = 0; c < n2; c++) {
        let i = a * s0 + b * s1 + c * s2;
        if (s3 === 1) {
          dst.set(src.subarray(i, i + n3), o);
          o += n3;
        } else {
          for (let d = 0; d < n3; d++, i += s3) dst[o++] = src[i];
        }
      }
    }
  }
  return out;
}

/** [A, P, B] -> [B, P, A], one A x B tile per middle index so reads and writes stay in cache. */
function swapOuterAndInner(src: Float32Array, dst: Float32Array, a: number, p: number, b: number): void {
  const rowStride = p * b;
  for (let m = 0; m < p; m++) {
    for (let j = 0; j < b; j++) {
      let from = m * b + j;
      const to = (j * p + m) * a;
      for (let i = 0; i < a; i++, from += rowStride) dst[to + i] = src[from];
    }
  }
}

/** 2-D transpose of the last two axes of a [batch, rows, cols] tensor, blocked for cache reuse. */
export function transposeLast2(backend: Wasm, x: TensorInfo): TensorInfo {
  const [batch, rows, cols] = x.shape.length === 3 ? x.shape : [1, x.shape[0], x.shape[1]];
  const out = allocate(backend, x.shape.length === 3 ? [batch, cols, rows] : [cols, rows]);
  const src = view(backend, x);
  const dst = view(backend, out);
  const block = 32;
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(rows, r0 + block);
      for (let c0 = 0; c0 < cols; c0 += block) {
        const c1 = Math.min(cols, c0 + block);
        for (let r = r0; r < r1; r++) {
          for (let c = c0; c < c1; c++) dst[base + c * rows + r] = src[base + r * cols + c];
        }
      }
    }
  }
  return out;
}
