import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';

let registered = false;

/** Installs Untangle's wasm kernels in place of missing or slow stock ones (idempotent). */
export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  const stockMatMul = getKernel('BatchMatMul', 'wasm');
  if (stockMatMul == null)
    throw new Error('the wasm backend must be imported before its kernels are replaced');
  for (const config of [
    conv2DBackpropFilterConfig,
    conv2DBackpropInputConfig,
    batchMatMulConfig(stockMatMul),
  ]) {
    if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
}
