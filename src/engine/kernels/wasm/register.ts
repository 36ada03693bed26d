import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { sumConfig } from './Sum.ts';

let registered = false;

/** Installs Untangle's wasm kernels in place of missing or slow stock ones (idempotent). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const stock = (name: string): KernelConfig => {
    const config = getKernel(name, 'wasm');
    if (config == null) throw new Error('the wasm backend must be imported before its kernels are replaced');
    return config;
  };
  const configs = [
    conv2DBackpropFilterConfig,
    conv2DBackpropInputConfig,
    batchMatMulConfig(stock('BatchMatMul')),
    sumConfig(stock('Sum')),
  ];
  for (const config of configs) {
    if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
}
