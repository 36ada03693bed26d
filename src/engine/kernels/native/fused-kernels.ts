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
/** in elementwise.c's order (UT_RELU_GRAD, UT_BERNOULLI_NLL, UT_BERNOULLI_NLL_GRAD) */
export const FUSED_KERNELS: readonly string[] = [RELU_GRAD, BERNOULLI_NLL, BERNOULLI_NLL_GRAD];

type Args = { inputs: Record<string, TensorInfo>; backend: Wasm };

export function nativeFusedConfigs(addon: NativeAddon): KernelConfig[] {
  const reluGrad = ({ inputs, backend }: Args) => {
    const out = allocate(backend, inputs.dy.shape);
    addon.fused(
      FUSED_KERNELS.indexOf(RELU_GRAD),
      view(backend, out),
      view(backend, inputs.dy),
      view(backend, inputs.x),
    );
    return out;
  };
  const nll = ({ inputs, backend }: Args) => {
    const out = allocate(backend, inputs.logits.shape);
    addon.fused(
      FUSED_KERNELS.indexOf(BERNOULLI_NLL),
      view(backend, out),
      view(backend, inputs.logits),
      view(backend, inputs.x),
    );
    return out;
  };
  const nllGrad = ({ inputs, backend }: Args) => {
    const out = allocate(backend, inputs.dy.shape);
    const [dy, logits, x] = [inputs.dy, inputs.logits, inputs.x].map((t) => view(backend, t));
    addon.fused(FUSED_KERNELS.indexOf(BERNOULLI_NLL_GRAD), view(backend, out), dy, logits, x);
    return out;
  };
  return [config(RELU_GRAD, reluGrad), config(BERNOULLI_NLL, nll), config(BERNOULLI_NLL_GRAD, nllGrad)];
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
