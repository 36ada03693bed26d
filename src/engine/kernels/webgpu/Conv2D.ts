import type { Conv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, Conv2D } from '@tensorflow/tfjs-core';
import { conv2dGemm, coveredConv } from './conv-gemm.ts';
import { runGemm } from './gemm.ts';
import type { WebgpuBackend } from './program.ts';

/** The forward convolution as tiled implicit GEMM (conv-gemm.ts); other layouts go to the stock kernel. */
export function conv2DConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: { x: TensorInfo; filter: TensorInfo };
    backend: WebgpuBackend;
    attrs: Conv2DAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(attrs.dataFormat),
    );
    const gemm = conv2dGemm(info);
    if (!coveredConv(info) || gemm == null || x.dtype !== 'float32') return stock.kernelFunc(args as never);
    return runGemm(backend, gemm.spec, [x, filter], gemm.shape, info.outShape);
  };
  return { kernelName: Conv2D, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}
