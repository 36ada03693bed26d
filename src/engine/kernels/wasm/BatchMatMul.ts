import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { free, transposeLast2, type Wasm } from './heap.ts';

/**
 * The stock wasm matmul is ~25x slower when an operand is flagged as transposed (every dense-layer
 * gradient): transpose explicitly, then multiply plainly.
 */
export function batchMatMulConfig(stockConfig: KernelConfig): KernelConfig {
  const stock = stockConfig.kernelFunc;
  function batchMatMul(args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: Wasm;
    attrs: BatchMatMulAttrs;
  }): TensorInfo {
    const { inputs, backend, attrs } = args;
    if (!attrs.transposeA && !attrs.transposeB) return stock(args as never) as TensorInfo;
    const a = attrs.transposeA ? transposeLast2(backend, inputs.a) : inputs.a;
    const b = attrs.transposeB ? transposeLast2(backend, inputs.b) : inputs.b;
    const out = stock({
      inputs: { a, b },
      backend,
      attrs: { transposeA: false, transposeB: false },
    } as never) as TensorInfo;
    if (a !== inputs.a) free(backend, a);
    if (b !== inputs.b) free(backend, b);
    return out;
  }
  return {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    // the stock kernel binds its wasm function at backend setup: keep that step
    setupFunc: stockConfig.setupFunc,
    kernelFunc: batchMatMul as unknown as KernelFunc,
  };
}
