import type { FusedConv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, FusedConv2D, util } from '@tensorflow/tfjs-core';
import { conv2dGemm, coveredConv } from './conv-gemm.ts';
import { runGemm } from './gemm.ts';
import type { WebgpuBackend } from './program.ts';

interface FusedConvInputs {
  x: TensorInfo;
  filter: TensorInfo;
  bias?: TensorInfo;
  preluActivationWeights?: TensorInfo;
}

/** conv + bias + activation (what tfjs-layers' conv2d calls) in one implicit-GEMM dispatch. */
export function fusedConv2DConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: { inputs: FusedConvInputs; backend: WebgpuBackend; attrs: FusedConv2DAttrs }) => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs;
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
    const biasOk = bias == null || util.sizeFromShape(bias.shape) === info.outChannels;
    const gemm = conv2dGemm(info, {
      bias: bias != null,
      activation: attrs.activation,
      leakyreluAlpha: attrs.leakyreluAlpha,
    });
    if (
      !coveredConv(info) ||
      gemm == null ||
      !biasOk ||
      preluActivationWeights != null ||
      x.dtype !== 'float32'
    ) {
      return stock.kernelFunc(args as never);
    }
    const operands = bias == null ? [x, filter] : [x, filter, bias];
    return runGemm(backend, gemm.spec, operands, gemm.shape, info.outShape);
  };
  return { kernelName: FusedConv2D, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}
