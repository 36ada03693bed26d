import * as tf from '@tensorflow/tfjs-core';
import { perIndexProgram } from './per-index.ts';
import type { ProgramUniform, WebgpuBackend } from './program.ts';

export interface AdamStep {
  /** lr·sqrt(1-β2^t)/(1-β1^t), computed on the host in float64 */
  lrT: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

const WORKGROUP = 256;
const MAX_GROUPS = 65535;

/** θ and mv = [m; v] read and written in place: a tfjs program has one output, Adam writes two. */
const SHADER = /* wgsl */ `
struct Uniforms { count : i32, lrT : f32, beta1 : f32, oneMinusBeta1 : f32, beta2 : f32,
  oneMinusBeta2 : f32, epsilon : f32, };
@group(0) @binding(0) var<storage, read_write> theta : array<f32>;
@group(0) @binding(1) var<storage, read> g : array<f32>;
@group(0) @binding(2) var<storage, read_write> mv : array<f32>;
@group(0) @binding(3) var<uniform> uniforms : Uniforms;

@compute @workgroup_size(${WORKGROUP}, 1, 1)
fn main(@builtin(workgroup_id) group : vec3<u32>, @builtin(num_workgroups) groups : vec3<u32>,
        @builtin(local_invocation_id) local : vec3<u32>) {
  let i = i32(group.y * groups.x + group.x) * ${WORKGROUP} + i32(local.x);
  let n = uniforms.count;
  if (i >= n) { return; }
  let gi = g[i];
  let m = uniforms.beta1 * mv[i] + uniforms.oneMinusBeta1 * gi;
  let v = uniforms.beta2 * mv[i + n] + uniforms.oneMinusBeta2 * gi * gi;
  mv[i] = m;
  mv[i + n] = v;
  theta[i] = theta[i] - uniforms.lrT * m / (sqrt(v) + uniforms.epsilon);
}`;

/** The parts of tfjs-backend-webgpu's backend (backend_webgpu.ts) a dispatch of our own goes through. */
interface Recorder {
  device: GPUDevice;
  tensorMap: { get(dataId: object): { values: unknown; resource: unknown; refCount: number } };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uploadToGPU(dataId: object): void;
  makeUniforms(uniforms: ProgramUniform[]): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

const pipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

/** A fresh copy of x in a buffer of its own (a variable whose buffer another tensor shares). */
function copyOf(backend: WebgpuBackend, x: tf.Tensor): tf.Tensor {
  const program = perIndexProgram('untangleCopy', ['x'], x.size, x.shape, 'result[i] = x[i];', '');
  const info = backend.runWebGPUProgram(program, [x], 'float32', [{ type: 'int32', data: [x.size] }]);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * One Adam update of one variable in one dispatch: θ and its moments mv = [m; v] (one variable of 2n
 * values) are updated in place by our own compute pipeline, recorded into the backend's command
 * stream like its own programs, where the tensor form takes about ten elementwise ops and new buffers.
 * Writing in place needs each buffer to belong to its variable alone: one shared with another tensor
 * (a variable made from a tensor still alive) is copied first. Values cached on the host by an
 * earlier read are dropped. The caller awaits any read of θ or mv before the next step.
 */
export function adamStepVariables(
  theta: tf.Variable,
  grad: tf.Tensor,
  mv: tf.Variable,
  step: AdamStep,
): void {
  const backend = tf.backend() as unknown as Recorder;
  for (const variable of [theta, mv]) {
    if (backend.tensorMap.get(variable.dataId).refCount > 1) {
      const own = copyOf(tf.backend() as unknown as WebgpuBackend, variable);
      variable.assign(own);
      own.dispose();
    }
  }
  const n = theta.size;
  const { device } = backend;
  let pipeline = pipelines.get(device);
  if (pipeline == null) {
    pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
    });
    pipelines.set(device, pipeline);
  }
  const buffers = [theta, grad, mv].map((t) => {
    backend.uploadToGPU(t.dataId);
    backend.commandQueueOwnedIds.add(t.dataId);
    return backend.tensorMap.get(t.dataId).resource as GPUBuffer;
  });
  const uniforms = backend.makeUniforms([
    { type: 'int32', data: [n] },
    { type: 'float32', data: [step.lrT] },
    // 1-β computed here in float64: 1.0 - β2 in float32 is 5e-5 off for β2 = 0.999
    { type: 'float32', data: [step.beta1] },
    { type: 'float32', data: [1 - step.beta1] },
    { type: 'float32', data: [step.beta2] },
    { type: 'float32', data: [1 - step.beta2] },
    { type: 'float32', data: [step.epsilon] },
  ]);
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [...buffers.map((buffer) => ({ buffer })), uniforms].map((resource, binding) => ({
      binding,
      resource,
    })),
  });
  const groups = Math.ceil(n / WORKGROUP);
  const x = Math.min(groups, MAX_GROUPS);
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(x, Math.ceil(groups / x), 1);
  backend.dispatchCountInPass += 1;
  if (backend.dispatchCountInPass >= (tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE') as number)) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  for (const variable of [theta, mv]) backend.tensorMap.get(variable.dataId).values = null;
}
