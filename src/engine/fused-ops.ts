import * as tf from '@tensorflow/tfjs-core';

/**
 * Ops that run as one kernel where the current backend registers it (the native engine:
 * src/engine/kernels/native/fused-kernels.ts), and as tfjs' own composite everywhere else (cpu,
 * webgpu, the browser). Browser-safe: only tfjs-core.
 */
export const RELU_GRAD = 'UntangleReluGrad';
export const BERNOULLI_NLL = 'UntangleBernoulliNll';
export const BERNOULLI_NLL_GRAD = 'UntangleBernoulliNllGrad';

/** Whether the current backend runs `name` as one kernel, for float32 operands of one shape. */
export function fusedKernel(name: string, ...operands: tf.Tensor[]): boolean {
  const [first] = operands;
  return (
    operands.every((t) => t.dtype === 'float32' && tf.util.arraysEqual(t.shape, first.shape)) &&
    tf.getKernel(name, tf.getBackend()) != null
  );
}

/** ReLU's gradient dy·step(x), x of dy's shape. */
export function reluGradient(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (!fusedKernel(RELU_GRAD, dy, x)) return tf.mul(dy, tf.cast(tf.step(x), 'float32'));
  return tf.engine().runKernel(RELU_GRAD, { dy, x }) as tf.Tensor;
}

/**
 * −log p(x|logits) of a Bernoulli decoder per pixel: softplus(l) − l·x, in the overflow-free form
 * relu(l) − l·x + softplus(−|l|). As one kernel its gradient is dy·(σ(l) − x) (registered with it).
 */
export function bernoulliNll(logits: tf.Tensor, x: tf.Tensor): tf.Tensor {
  if (fusedKernel(BERNOULLI_NLL, logits, x)) {
    return tf.engine().runKernel(BERNOULLI_NLL, { logits, x }) as tf.Tensor;
  }
  return tf.tidy(() =>
    tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.softplus(tf.neg(tf.abs(logits)))),
  );
}
