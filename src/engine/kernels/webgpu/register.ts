import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { conv2DConfig } from './Conv2D.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { fusedConv2DConfig } from './FusedConv2D.ts';
import { fusedMatMulConfig } from './FusedMatMul.ts';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum.ts';

let registered = false;

/**
 * Installs Untangle's WGSL kernels over tfjs-backend-webgpu's (idempotent; the stock kernel stays the
 * fallback for layouts ours do not cover). The backend must be imported first. Used in Node and in
 * the dashboard's browser app alike.
 */
export function registerWebgpuKernels(): void {
  if (registered) return;
  const stock = (name: string): KernelConfig => {
    const config = getKernel(name, 'webgpu');
    if (config == null)
      throw new Error('tfjs-backend-webgpu must be imported before its kernels are replaced');
    return config;
  };
  const configs = [
    conv2DConfig(stock('Conv2D')),
    fusedConv2DConfig(stock('FusedConv2D')),
    conv2DBackpropInputConfig(stock('Conv2DBackpropInput')),
    conv2DBackpropFilterConfig(stock('Conv2DBackpropFilter')),
    batchMatMulConfig(stock('BatchMatMul')),
    fusedMatMulConfig(stock('_FusedMatMul')),
    unsortedSegmentSumConfig(stock('UnsortedSegmentSum')),
  ];
  registered = true;
  for (const config of configs) {
    unregisterKernel(config.kernelName, 'webgpu');
    registerKernel(config);
  }
}

/** Whether our kernels replaced the stock ones (not under UNTANGLE_WEBGPU_KERNELS=stock). */
export function webgpuKernelsRegistered(): boolean {
  return registered;
}
