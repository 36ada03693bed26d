import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// The union package's Node bundle is the one loadable place that registers every op's gradient.
import '@tensorflow/tfjs';
import { installSumGradient } from './fused-ops.ts';
import { registerWasmKernels } from './kernels/wasm/register.ts';
import { forbidSyncReads, reportDeviceErrors } from './kernels/webgpu/program.ts';
import { registerWebgpuKernels } from './kernels/webgpu/register.ts';
import { startWebgpuInNode, type WebgpuAdapterInfo } from './webgpu-node.ts';

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
  installSumGradient();
  if (name === 'wasm') registerWasmKernels();
  if (name === 'webgpu') await registerWebgpu();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
  if (name === 'webgpu') {
    forbidSyncReads(tf.backend());
    reportDeviceErrors(tf.backend());
  }
}

/**
 * The backend that encodes and decodes for pictures and metrics. Those paths read results
 * synchronously, which a device backend cannot do, so a webgpu run hands its weights (checkpoint or
 * variables) to wasm for them: the checkpoint format is the same on every backend.
 */
export function inferenceBackend(name: BackendName): BackendName {
  return name === 'webgpu' ? 'wasm' : name;
}

async function registerWebgpu(): Promise<void> {
  if (tf.findBackend('webgpu') != null) return;
  webgpuAdapter = await startWebgpuInNode();
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  // UNTANGLE_WEBGPU_KERNELS=stock keeps tfjs's own kernels: the baseline for profiles
  if (process.env.UNTANGLE_WEBGPU_KERNELS !== 'stock') registerWebgpuKernels();
}

let webgpuAdapter: WebgpuAdapterInfo | undefined;

/** The adapter the webgpu backend runs on (after `useBackend('webgpu')`), for logs and bench output. */
export function webgpuAdapterInfo(): WebgpuAdapterInfo | undefined {
  return webgpuAdapter;
}
