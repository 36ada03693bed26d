import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { BERNOULLI_NLL, BERNOULLI_NLL_GRAD, fusedKernel, RELU_GRAD, reluGradient } from '../../fused-ops.ts';
import { allocate, view, type Wasm } from '../wasm/heap.ts';
import type { NativeAddon } from './addon.ts';
import { config } from './kernels.ts';

/**
 * The fused ops of src/engine/fused-ops.ts on the native addon (elementwise.c), one pass each:
 * ReLU's gradient (bit for bit Multiply(dy, Step(x))), the Bernoulli loss per pixel (bit for bit the
 * composite's forward: the same float32 operations) and its gradient dy·(σ(l) − x), which replaces the
 * composite's chain of eleven ops (equal up to float32 rounding). `installFusedGradients` registers the
 * gradients that use them.
 */
/** Each fused kernel's inputs, the output shaped as the first; in elementwise.c's order (UT_RELU_GRAD, ...) */
const INPUTS: [string, string[]][] = [
  [RELU_GRAD, ['dy', 'x']],
  [BERNOULLI_NLL, ['logits', 'x']],
  [BERNOULLI_NLL_GRAD, ['dy', 'logits', 'x']],
];
export const FUSED_KERNELS: readonly string[] = INPUTS.map(([name]) => name);

type Args = { inputs: Record<string, TensorInfo>; backend: Wasm };

export function nativeFusedConfigs(addon: NativeAddon): KernelConfig[] {
  return INPUTS.map(([name, inputNames], op) => {
    const kernel = ({ inputs, backend }: Args) => {
      const out = allocate(backend, inputs[inputNames[0]].shape);
      // views after the allocation, which may grow (and detach) the heap
      addon.fused(op, view(backend, out), ...inputNames.map((input) => view(backend, inputs[input])));
      return out;
    };
    return config(name, kernel);
  });
}

/** The Relu op's gradient through reluGradient, and the fused Bernoulli loss' own; idempotent. */
export function installFusedGradients(): void {
  tf.registerGradient({
    kernelName: 'Relu',
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      return { x: () => reluGradient(dy as tf.Tensor, x) };
    },
  });
  tf.registerGradient({
    kernelName: BERNOULLI_NLL,
    inputsToSave: ['logits', 'x'],
    gradFunc: (dy, saved) => {
      const [logits, x] = saved;
      const d = dy as tf.Tensor;
      return {
        logits: () =>
          fusedKernel(BERNOULLI_NLL_GRAD, d, logits, x)
            ? (tf.engine().runKernel(BERNOULLI_NLL_GRAD, { dy: d, logits, x }) as tf.Tensor)
            : tf.mul(d, tf.sub(tf.sigmoid(logits), x)),
        x: () => tf.mul(d, tf.neg(logits)),
      };
    },
  });
}
