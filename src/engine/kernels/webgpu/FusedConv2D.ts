import type { FusedConv2DAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { FusedConv2D } from '@tensorflow/tfjs-core';
import { runConv2D } from './conv-gemm.ts';
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
    if (preluActivationWeights != null) return stock.kernelFunc(args as never);
    const { activation, leakyreluAlpha } = attrs;
    const out = runConv2D(backend, x, filter, attrs, { bias, activation, leakyreluAlpha });
    return out ?? stock.kernelFunc(args as never);
  };
  return { kernelName: FusedConv2D, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}
