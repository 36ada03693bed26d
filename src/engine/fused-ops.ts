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

let sumGradientInstalled = false;

/**
 * The Sum op's gradient as dy times onesLike(x). tfjs' own multiplies dy by `ones(x.shape)`, an
 * array of x's size made on the host every step (1 MB for the yardstick's per-pixel loss): on wasm it
 * counts as external memory and sets off a full V8 collection every few steps; on webgpu it is an
 * upload. The same product, so the two agree bit for bit. Idempotent.
 */
export function installSumGradient(): void {
  if (sumGradientInstalled) return;
  sumGradientInstalled = true;
  tf.registerGradient({
    kernelName: 'Sum',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const expanded = x.shape.slice();
      for (const axis of tf.util.parseAxisParam((attrs as { axis: number | number[] }).axis, x.shape))
        expanded[axis] = 1;
      const d = tf.reshape(dy as tf.Tensor, expanded);
      // onesLike fills on the backend (tfjs' Tile, the other way to broadcast, is 40x slower on wasm)
      if (d.dtype !== 'float32' || x.dtype !== 'float32')
        return { x: () => tf.mul(d, tf.ones(x.shape, 'float32')) };
      return { x: () => tf.mul(d, tf.onesLike(x)) };
    },
  });
}
