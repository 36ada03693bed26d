import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, Conv2DBackpropFilter } from '@tensorflow/tfjs-core';
import { conv2dBackpropFilterGemm, coveredConv } from './conv-gemm.ts';
import { runGemm, splitCount } from './gemm.ts';
import type { WebgpuBackend } from './program.ts';

/** The filter gradient, the stock backend's slowest kernel, as split-K implicit GEMM (conv-gemm.ts). */
export function conv2DBackpropFilterConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo; dy: TensorInfo };
    backend: WebgpuBackend;
    attrs: Conv2DBackpropFilterAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    if (!coveredConv(info) || x.dtype !== 'float32') return stock.kernelFunc(args as never);
    const gemm = conv2dBackpropFilterGemm(info);
    return runGemm(backend, gemm.spec, [x, dy], gemm.shape, attrs.filterShape, splitCount(gemm.shape));
  };
  return {
    kernelName: Conv2DBackpropFilter,
    backendName: 'webgpu',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
