import type { _FusedMatMulAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { _FusedMatMul } from '@tensorflow/tfjs-core';
import { runMatMul } from './matmul-gemm.ts';
import type { WebgpuBackend } from './program.ts';

interface FusedMatMulInputs {
  a: TensorInfo;
  b: TensorInfo;
  bias?: TensorInfo;
  preluActivationWeights?: TensorInfo;
}

/** dense layers (tfjs-layers calls fused.matMul): matmul + bias + activation in one dispatch. */
export function fusedMatMulConfig(stock: KernelConfig): KernelConfig {
  const kernelFunc = (args: {
    inputs: FusedMatMulInputs;
    backend: WebgpuBackend;
    attrs: _FusedMatMulAttrs;
  }) => {
    const { inputs, backend, attrs } = args;
    if (inputs.preluActivationWeights != null) return stock.kernelFunc(args as never);
    const out = runMatMul(backend, inputs.a, inputs.b, { ...attrs, bias: inputs.bias });
    return out ?? stock.kernelFunc(args as never);
  };
  return { kernelName: _FusedMatMul, backendName: 'webgpu', kernelFunc: kernelFunc as unknown as KernelFunc };
}
