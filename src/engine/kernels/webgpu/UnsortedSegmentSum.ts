import type { KernelConfig, KernelFunc, TensorInfo, UnsortedSegmentSumAttrs } from '@tensorflow/tfjs-core';
import { UnsortedSegmentSum, util } from '@tensorflow/tfjs-core';
import { perIndexProgram } from './per-index.ts';
import type { WebgpuBackend } from './program.ts';

/**
 * out[s] = Σ x[b] over the rows b with segmentIds[b] = s, one thread per output value adding the rows in
 * order of b: the same float32 sums as the wasm kernel, the same on every run. The stock kernel adds with
 * atomics in whatever order threads arrive, so a gather's gradient (the FHVAE's μ2 rows) would differ
 * from run to run and exact resume would not hold. Each thread scans all rows: numSegments x inner x rows
 * compares, small for a table's gradient. Other dtypes go to the stock kernel.
 */
export function unsortedSegmentSumConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo; segmentIds: TensorInfo };
    backend: WebgpuBackend;
    attrs: UnsortedSegmentSumAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    const { x, segmentIds } = inputs;
    if (x.dtype !== 'float32' || segmentIds.dtype !== 'int32') return stock.kernelFunc(args as never);
    const inner = util.sizeFromShape(x.shape.slice(1));
    const outShape = [attrs.numSegments, ...x.shape.slice(1)];
    const count = attrs.numSegments * inner;
    const program = perIndexProgram(
      'untangleUnsortedSegmentSum',
      ['x', 'segmentIds'],
      count,
      outShape,
      `let s = i / uniforms.inner;
        let j = i - s * uniforms.inner;
        var acc = 0.0;
        for (var b = 0; b < uniforms.rows; b++) {
          if (segmentIds[b] == s) { acc = acc + x[b * uniforms.inner + j]; }
        }
        result[i] = acc;`,
      'inner : i32, rows : i32,',
    );
    return backend.runWebGPUProgram(program, [x, segmentIds], 'float32', [
      { type: 'int32', data: [count] },
      { type: 'int32', data: [inner] },
      { type: 'int32', data: [x.shape[0]] },
    ]);
  };
  return {
    kernelName: UnsortedSegmentSum,
    backendName: 'webgpu',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
