import type { CastAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * Identity, and Cast to the dtype a tensor already has, without a copy: the output shares the input's
 * memory under one more reference (as the stock Reshape does). The stock kernels copy, and autodiff
 * calls them on every ReLU gradient and most pass-through gradients. Other casts go to the stock kernel.
 */
interface RefCounted {
  incRef(dataId: object): void;
}

const share = (backend: RefCounted, x: TensorInfo): TensorInfo => {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

export const identityConfig: KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: (({ inputs, backend }: { inputs: { x: TensorInfo }; backend: RefCounted }) =>
    share(backend, inputs.x)) as unknown as KernelFunc,
};

export function castConfig(stock: KernelConfig): KernelConfig {
  function cast(args: { inputs: { x: TensorInfo }; backend: RefCounted; attrs: CastAttrs }): TensorInfo {
    const { x } = args.inputs;
    if (x.dtype === args.attrs.dtype) return share(args.backend, x);
    return stock.kernelFunc(args as never) as TensorInfo;
  }
  return { ...stock, kernelFunc: cast as unknown as KernelFunc };
}
