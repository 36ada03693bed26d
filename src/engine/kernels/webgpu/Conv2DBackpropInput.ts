import type { Conv2DBackpropInputAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, Conv2DBackpropInput } from '@tensorflow/tfjs-core';
import { conv2dBackpropInputGemm, coveredConv } from './conv-gemm.ts';
import { runGemm } from './gemm.ts';
import type { WebgpuBackend } from './program.ts';

/** The input gradient / transposed conv as a phase-split implicit GEMM (conv-gemm.ts). */
export function conv2DBackpropInputConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { dy: TensorInfo; filter: TensorInfo };
    backend: WebgpuBackend;
    attrs: Conv2DBackpropInputAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    if (!coveredConv(info) || dy.dtype !== 'float32') return stock.kernelFunc(args as never);
    const gemm = conv2dBackpropInputGemm(info);
    return runGemm(backend, gemm.spec, [dy, filter], gemm.shape, info.inShape);
  };
  return {
    kernelName: Conv2DBackpropInput,
    backendName: 'webgpu',
    kernelFunc: kernelFunc as unknown as KernelFunc,
  };
}
