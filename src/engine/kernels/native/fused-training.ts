import * as tf from '@tensorflow/tfjs-core';

/**
 * Conv + bias + ReLU as one FusedConv2D kernel while training too. tfjs-core's fused.conv2d declines to
 * fuse a non-linear activation under a gradient tape and runs Conv2D, Add and Relu instead (three
 * outputs of the layer's size written, and kept for the backward pass). Where `active()` holds (the
 * native kernels run the wasm backend), a relu conv under a tape runs this op instead: the fused kernel
 * forward, and a gradient of the very same kernels and arithmetic as the unfused path
 * (dz = dy·step(y), which equals step(z) for y = relu(z); the bias gradient the sum of dz over N, H, W).
 */
type FusedConv2d = typeof tf.fused.conv2d;
type FusedArgs = Parameters<FusedConv2d>[0];

const installed = Symbol('untangle training fusion');

function reluConv(args: FusedArgs, x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  const { strides, pad, dimRoundingMode } = args;
  const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode, activation: 'relu' };
  const op = tf.customGrad((...inputs) => {
    const [xs, w, b] = inputs.slice(0, 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor1D];
    const save = inputs[3] as unknown as tf.GradSaveFunc;
    const y = tf
      .engine()
      .runKernel('FusedConv2D', { x: xs, filter: w, bias: b }, attrs as never) as tf.Tensor4D;
    save([xs, w, y]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw, sy] = saved as tf.Tensor4D[];
      const dz = tf.mul(dy, tf.step(sy)) as tf.Tensor4D;
      const dx = tf.conv2dTranspose(dz, sw, sx.shape, strides, pad, dimRoundingMode);
      const filterAttrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape: sw.shape };
      const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: sx, dy: dz }, filterAttrs as never);
      return [dx, dw as tf.Tensor, tf.sum(dz, [0, 1, 2])];
    };
    return { value: y, gradFunc };
  });
  return op(x, filter, bias) as tf.Tensor4D;
}

const isOne = (d: FusedArgs['dilations']) =>
  d == null || (Array.isArray(d) ? d.every((v) => v === 1) : d === 1);

/** Routes training relu convs through reluConv while `active()`; idempotent. */
export function fuseTrainingConvs(active: () => boolean): void {
  const fused = tf.fused as { conv2d: FusedConv2d & { [installed]?: true } };
  const stock = fused.conv2d;
  if (stock[installed]) return;
  const conv2d = ((args: FusedArgs) => {
    const { x, filter, bias } = args;
    const fusable =
      args.activation === 'relu' &&
      (args.dataFormat ?? 'NHWC') === 'NHWC' &&
      args.preluActivationWeights == null &&
      isOne(args.dilations) &&
      x instanceof tf.Tensor &&
      x.rank === 4 &&
      filter instanceof tf.Tensor &&
      bias instanceof tf.Tensor &&
      bias.rank === 1 &&
      x.dtype === 'float32' &&
      tf.engine().state.gradientDepth > 0 &&
      active();
    if (!fusable) return stock(args);
    return reluConv(args, x as tf.Tensor4D, filter as tf.Tensor4D, bias as tf.Tensor1D);
  }) as FusedConv2d & { [installed]?: true };
  conv2d[installed] = true;
  try {
    fused.conv2d = conv2d;
  } catch {
    // a frozen ES module namespace (browser bundles): tfjs' own op stays
  }
}
