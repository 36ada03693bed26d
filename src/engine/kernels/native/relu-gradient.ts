import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { allocate, view, type Wasm } from '../wasm/heap.ts';
import type { NativeAddon } from './addon.ts';
import { BINARY_OPS } from './elementwise.ts';
import { config } from './kernels.ts';

/**
 * ReLU's gradient dy·step(x) as one kernel where the native addon runs (elementwise.c's UT_RELU_GRAD:
 * one pass instead of Step then Multiply, the same product bit for bit), and tfjs' own two ops on every
 * other backend. `installReluGradient` routes the Relu op's gradient through it; fused-training.ts's
 * relu convs use it too.
 */
export const RELU_GRAD = 'UntangleReluGrad';
const RELU_GRAD_OP = BINARY_OPS.length;

export function nativeReluGradConfig(addon: NativeAddon): KernelConfig {
  function reluGrad(args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: Wasm }): TensorInfo {
    const { inputs, backend } = args;
    const out = allocate(backend, inputs.dy.shape);
    addon.binary(RELU_GRAD_OP, view(backend, inputs.dy), view(backend, inputs.x), view(backend, out));
    return out;
  }
  return config(RELU_GRAD, reluGrad);
}

/** dy·step(x) for x of dy's shape: the one-pass kernel where the current backend has it. */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const fused =
    dy.dtype === 'float32' &&
    x.dtype === 'float32' &&
    tf.util.arraysEqual(dy.shape, x.shape) &&
    tf.getKernel(RELU_GRAD, tf.getBackend()) != null;
  if (!fused) return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
  return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
}

/** The Relu op's gradient through reluGradient (the same values as tfjs' own on every backend). */
export function installReluGradient(): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => reluGradient(dy as tf.Tensor, x) };
    },
  });
}
