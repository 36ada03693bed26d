import type { BatchMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { BatchMatMul } from '@tensorflow/tfjs-core';
import { runMatMul } from './matmul-gemm.ts';
import type { WebgpuBackend } from './program.ts';

/** matmul with transposed operands read in place (matmul-gemm.ts); the stock kernel for the rest. */
export function batchMatMulConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: WebgpuBackend;
    attrs: BatchMatMulAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    return runMatMul(backend, inputs.a, inputs.b, attrs) ?? stock.kernelFunc(args as never);
  };
  return { kernelName: BatchMatMul, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}
