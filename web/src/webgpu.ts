import '@tensorflow/tfjs-backend-webgpu';
import { registerWebgpuKernels } from '../../src/engine/kernels/webgpu/register.ts';

/**
 * The webgpu backend with Untangle's own WGSL kernels over tfjs' (src/engine/kernels/webgpu, the same
 * files Node trains with), registered before any backend starts; the explorer runs on it by default
 * where the browser offers a WebGPU adapter (web/src/model.ts, BACKENDS).
 */
registerWebgpuKernels();
