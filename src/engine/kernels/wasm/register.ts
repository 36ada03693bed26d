import {
  getBackend,
  getKernel,
  type KernelConfig,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { nativeAddon } from '../native/addon.ts';
import { BINARY_OPS, nativeBinaryConfig, nativeUnaryConfig, UNARY_OPS } from '../native/elementwise.ts';
import { FUSED_KERNELS, installFusedGradients, nativeFusedConfigs } from '../native/fused-kernels.ts';
import { fuseTrainingConvs, RELU_CONV, reluConvConfig } from '../native/fused-training.ts';
import {
  nativeBatchMatMulConfig,
  nativeConv2DBackpropFilterConfig,
  nativeConv2DBackpropInputConfig,
  nativeConv2DConfig,
  nativeFusedConv2DConfig,
} from '../native/kernels.ts';
import { batchMatMulConfig } from './BatchMatMul.ts';
import { conv2DBackpropFilterConfig } from './Conv2DBackpropFilter.ts';
import { conv2DBackpropInputConfig } from './Conv2DBackpropInput.ts';
import { castConfig, identityConfig } from './Identity.ts';
import { sumConfig } from './Sum.ts';
import { unsortedSegmentSumConfig } from './UnsortedSegmentSum.ts';

/** Which kernels run the wasm backend's convolutions, matmuls and sums. */
export type CpuEngine = 'native-avx2' | 'wasm';

let current: CpuEngine | undefined;
let nativeWanted = true;
const stock = new Map<string, KernelConfig>();
/** stock kernels we wrap (the native ones fall back to them) */
const ELEMENTWISE = [...BINARY_OPS, ...UNARY_OPS];
const WRAPPED = ['Conv2D', 'FusedConv2D', 'BatchMatMul', 'Sum', 'Cast', ...ELEMENTWISE];

/**
 * Installs Untangle's kernels in place of missing or slow stock wasm ones: the native AVX2/FMA addon's
 * where it loads (linux-x64, a CPU with AVX2 and FMA, UNTANGLE_NATIVE not 0), ours in wasm otherwise.
 * Idempotent; returns the engine.
 */
export function registerWasmKernels(): CpuEngine {
  if (stock.size === 0) {
    for (const name of WRAPPED) {
      const config = getKernel(name, 'wasm');
      if (config == null)
        throw new Error('the wasm backend must be imported before its kernels are replaced');
      stock.set(name, config);
    }
  }
  const addon = nativeWanted ? nativeAddon() : undefined;
  const engine: CpuEngine = addon ? 'native-avx2' : 'wasm';
  if (engine === current) return engine;
  current = engine;
  const original = (name: string) => stock.get(name)!;
  const configs = addon
    ? [
        nativeConv2DConfig(addon, original('Conv2D')),
        nativeFusedConv2DConfig(addon, original('FusedConv2D')),
        nativeConv2DBackpropFilterConfig(addon, conv2DBackpropFilterConfig),
        nativeConv2DBackpropInputConfig(addon, conv2DBackpropInputConfig),
        nativeBatchMatMulConfig(addon, batchMatMulConfig(original('BatchMatMul'))),
        sumConfig(original('Sum'), addon),
        ...BINARY_OPS.map((name) => nativeBinaryConfig(addon, name, original(name))),
        ...UNARY_OPS.map((name) => nativeUnaryConfig(addon, name, original(name))),
      ]
    : [
        original('Conv2D'),
        original('FusedConv2D'),
        conv2DBackpropFilterConfig,
        conv2DBackpropInputConfig,
        batchMatMulConfig(original('BatchMatMul')),
        sumConfig(original('Sum')),
        ...ELEMENTWISE.map(original),
      ];
  configs.push(identityConfig, castConfig(original('Cast')), unsortedSegmentSumConfig);
  // kernels of our own names: only the native engine has them (fused-ops.ts and the training convs
  // fall back to tfjs' ops where they are missing)
  for (const name of [...FUSED_KERNELS, RELU_CONV])
    if (getKernel(name, 'wasm') != null) unregisterKernel(name, 'wasm');
  if (addon) {
    configs.push(...nativeFusedConfigs(addon), reluConvConfig());
    installFusedGradients();
    fuseTrainingConvs(() => current === 'native-avx2' && getBackend() === 'wasm');
  }
  for (const config of configs) {
    if (getKernel(config.kernelName, 'wasm') != null) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  return engine;
}

/**
 * Chooses between the native kernels (where they load) and the wasm ones from now on, also for kernels
 * already registered (tests compare the two engines in one process); returns the engine now in use.
 */
export function preferNativeKernels(wanted: boolean): CpuEngine | undefined {
  nativeWanted = wanted;
  return current === undefined ? undefined : registerWasmKernels();
}

/** The engine the last registration installed (undefined before the wasm backend was first chosen). */
export function cpuEngine(): CpuEngine | undefined {
  return current;
}
