import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import { allocate, view, type Wasm } from './heap.ts';

/**
 * out[s] = Σ x[b] over the rows b with segmentIds[b] = s, added in order of b in float32; ids outside
 * [0, numSegments) are dropped, as TensorFlow does. The stock wasm backend has no such kernel, and it
 * is the gradient of gather (the FHVAE's μ2 rows). The webgpu kernel adds in the same order.
 */
function unsortedSegmentSum({
  inputs,
  backend,
  attrs,
}: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  backend: Wasm;
  attrs: UnsortedSegmentSumAttrs;
}): TensorInfo {
  const { x, segmentIds } = inputs;
  if (x.dtype !== 'float32')
    throw new Error(`wasm UnsortedSegmentSum: float32 values expected, got ${x.dtype}`);
  const { numSegments } = attrs;
  const rows = x.shape[0];
  const inner = util.sizeFromShape(x.shape.slice(1));
  const out = allocate(backend, [numSegments, ...x.shape.slice(1)]);
  const src = view(backend, x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const result = view(backend, out);
  result.fill(0);
  for (let b = 0; b < rows; b++) {
    const s = ids[b];
    if (s < 0 || s >= numSegments) continue;
    const [o, i] = [s * inner, b * inner];
    for (let j = 0; j < inner; j++) result[o + j] += src[i + j];
  }
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
