import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { reluGradient } from '../../fused-ops.ts';
import { runKernel, type Wasm } from '../wasm/heap.ts';
import { config } from './kernels.ts';

/**
 * Conv + bias + ReLU as one FusedConv2D kernel while training too. tfjs-core's fused.conv2d declines to
 * fuse a non-linear activation under a gradient tape and runs Conv2D, Add and Relu instead (three
 * outputs of the layer's size written, and kept for the backward pass). Where `active()` holds (the
 * native kernels run the wasm backend), a relu conv under a tape runs RELU_CONV instead: the fused
 * kernel forward, and a registered gradient of the very same kernels and arithmetic as the unfused path
 * (dz = dy·step(y), which equals step(z) for y = relu(z); the bias gradient the sum of dz over N, H, W).
 * Registered rather than a customGrad, so the tape asks only for the gradients it needs: none for the
 * images into the first conv.
 */
type FusedConv2d = typeof tf.fused.conv2d;
type FusedArgs = Parameters<FusedConv2d>[0];

export const RELU_CONV = 'UntangleReluConv2D';
const installed = Symbol('untangle training fusion');

type ConvAttrs = Pick<FusedArgs, 'strides' | 'pad' | 'dimRoundingMode'>;
const fusedAttrs = ({ strides, pad, dimRoundingMode }: ConvAttrs) => ({
  strides,
  pad,
  dataFormat: 'NHWC',
  dilations: [1, 1],
  dimRoundingMode,
  activation: 'relu',
});

/** RELU_CONV on the wasm backend: the FusedConv2D kernel registered there, with a relu. */
export function reluConvConfig(): KernelConfig {
  const forward = (args: { inputs: Record<string, TensorInfo>; backend: Wasm; attrs: ConvAttrs }) =>
    runKernel(args.backend, 'FusedConv2D', args.inputs, fusedAttrs(args.attrs));
  return config(RELU_CONV, forward);
}

let gradientRegistered = false;

function registerReluConvGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: RELU_CONV,
    inputsToSave: ['x', 'filter'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved as tf.Tensor4D[];
      const { strides, pad, dimRoundingMode } = attrs as unknown as ConvAttrs;
      const dz = reluGradient(dy as tf.Tensor, y) as tf.Tensor4D;
      const filterAttrs = { strides, pad, dataFormat: 'NHWC', dimRoundingMode, filterShape: filter.shape };
      return {
        x: () => tf.conv2dTranspose(dz, filter, x.shape, strides, pad, dimRoundingMode),
        filter: () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dz }, filterAttrs as never) as tf.Tensor,
        bias: () => tf.sum(dz, [0, 1, 2]),
      };
    },
  });
}

function reluConv(args: FusedArgs, x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D): tf.Tensor4D {
  const { strides, pad, dimRoundingMode } = args;
  return tf
    .engine()
    .runKernel(RELU_CONV, { x, filter, bias }, { strides, pad, dimRoundingMode } as never) as tf.Tensor4D;
}

const isOne = (d: FusedArgs['dilations']) =>
  d == null || (Array.isArray(d) ? d.every((v) => v === 1) : d === 1);

/** Routes training relu convs through RELU_CONV while `active()` (its kernel registered); idempotent. */
export function fuseTrainingConvs(active: () => boolean): void {
  registerReluConvGradient();
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
