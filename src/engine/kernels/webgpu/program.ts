import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-webgpu's program contract our kernels use (webgpu_program.ts there). */
export interface WebgpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  /** extra fields of the uniform struct, WGSL, e.g. `M : i32, N : i32,` */
  uniforms?: string;
  size?: boolean;
  getUserCode(): string;
}

export interface ProgramUniform {
  type: 'int32' | 'float32' | 'uint32';
  data: number[];
}

/** The webgpu backend as our kernels see it. */
export interface WebgpuBackend extends KernelBackend {
  runWebGPUProgram(
    program: WebgpuProgram,
    inputs: TensorInfo[],
    outputDtype: DataType,
    uniforms?: ProgramUniform[],
    output?: TensorInfo,
  ): TensorInfo;
  disposeData(dataId: object): boolean;
  tensorMap: { get(dataId: object): { values: unknown; resource: unknown } | undefined };
}

/** A synchronous read of a tensor on the GPU (where Node has no OffscreenCanvas to do it). */
export class SyncReadError extends Error {
  override name = 'SyncReadError';
}

/**
 * tfjs-backend-webgpu's synchronous read (`dataSync`) needs an OffscreenCanvas, which Node lacks, and
 * stalls the GPU where it works. Make it fail at once with a message that says what to do instead.
 */
export function forbidSyncReads(backend: KernelBackend): void {
  const gpu = backend as WebgpuBackend & { readSync(dataId: object): unknown; untangleGuarded?: boolean };
  if (gpu.untangleGuarded) return;
  gpu.untangleGuarded = true;
  const readSync = gpu.readSync.bind(gpu);
  gpu.readSync = (dataId: object) => {
    const data = gpu.tensorMap.get(dataId);
    if (data != null && data.values == null && typeof OffscreenCanvas === 'undefined') {
      throw new SyncReadError(
        'webgpu: a synchronous read (dataSync/arraySync/bufferSync) of a tensor on the GPU; read it with `await tensor.data()`',
      );
    }
    return readSync(dataId);
  };
}

/** Shader and validation errors surface as one logged line each instead of silently zero results. */
const reporting = new WeakSet<GPUDevice>();

export function reportDeviceErrors(backend: KernelBackend): void {
  const device = (backend as { device?: GPUDevice }).device;
  if (device == null || reporting.has(device)) return;
  reporting.add(device);
  device.addEventListener('uncapturederror', (event) => {
    console.error(
      `webgpu: ${(event as GPUUncapturedErrorEvent).error.message.split('\n').slice(0, 6).join(' | ')}`,
    );
  });
}
