import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { Conv2D } from '@tensorflow/tfjs-core';
import { runConv2D } from './conv-gemm.ts';
import type { WebgpuBackend } from './program.ts';

/** The forward convolution as tiled implicit GEMM (conv-gemm.ts); other layouts go to the stock kernel. */
export function conv2DConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo; filter: TensorInfo };
    backend: WebgpuBackend;
    attrs: Conv2DAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    return runConv2D(backend, inputs.x, inputs.filter, attrs) ?? stock.kernelFunc(args as never);
  };
  return { kernelName: Conv2D, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}
