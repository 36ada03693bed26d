import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// The union package's Node bundle is the one loadable place that registers every op's gradient.
import '@tensorflow/tfjs';
import { registerWasmKernels } from './kernels/wasm/register.ts';

// Silences tfjs's advice to install tfjs-node, which cannot be installed here (DESIGN §1).
tf.env().set('PROD', true);

export const BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Selects the engine's backend. wasm (XNNPACK, SIMD, one thread per worker) is the default in Node,
 * with Untangle's own kernels for what it lacks; cpu is the pure-JS fallback; webgpu needs a GPU and
 * the optional `webgpu` package (Dawn).
 */
export async function useBackend(name: BackendName): Promise<void> {
  if (name === 'wasm') registerWasmKernels();
  if (name === 'webgpu') await registerWebgpu();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

async function registerWebgpu(): Promise<void> {
  if (tf.findBackend('webgpu') != null) return;
  let gpu: { create(options: string[]): GPU; globals: Record<string, unknown> };
  try {
    gpu = (await import('webgpu' as string)) as typeof gpu;
  } catch {
    throw new Error('backend webgpu needs the optional package `webgpu` (npm install webgpu)');
  }
  Object.assign(globalThis, gpu.globals);
  const navigatorLike = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(navigatorLike, 'gpu', { value: gpu.create([]), configurable: true });
  if ((globalThis as { navigator?: object }).navigator == null) {
    Object.defineProperty(globalThis, 'navigator', { value: navigatorLike, configurable: true });
  }
  const adapter = await (navigatorLike as { gpu: GPU }).gpu.requestAdapter();
  if (adapter == null)
    throw new Error('backend webgpu: no GPU adapter found on this machine (use --backend wasm)');
  await import('@tensorflow/tfjs-backend-webgpu' as string);
}
