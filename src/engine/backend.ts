import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// The union package's Node bundle is the one loadable place that registers every op's gradient.
import '@tensorflow/tfjs';
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

async function registerWebgpu(): Promise<void> {
  if (tf.findBackend('webgpu') != null) return;
  webgpuAdapter = await startWebgpuInNode();
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  registerWebgpuKernels();
}

let webgpuAdapter: WebgpuAdapterInfo | undefined;

/** The adapter the webgpu backend runs on (after `useBackend('webgpu')`), for logs and bench output. */
export function webgpuAdapterInfo(): WebgpuAdapterInfo | undefined {
  return webgpuAdapter;
}
