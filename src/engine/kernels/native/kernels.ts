import type {
  BatchMatMulAttrs,
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  FusedConv2DAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import { allocate, view, type Wasm } from '../wasm/heap.ts';
import { type NativeAddon, nativeForwardThreads } from './addon.ts';

/**
 * Kernels registered for the wasm backend that run the native AVX2/FMA addon on the wasm heap in
 * place: inputs and outputs stay wasm tensors, so tfjs' autodiff and memory accounting are unchanged.
 * Anything the addon does not cover (NCHW, dilations, other activations, int dtypes) goes to `fallback`.
 */
type Args<I, A> = { inputs: I; backend: Wasm; attrs: A };

const geometryOf = (info: backend_util.Conv2DInfo): Int32Array =>
  Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ]);

const plain = (info: backend_util.Conv2DInfo, dataFormat: string) =>
  dataFormat === 'NHWC' && info.dilationHeight === 1 && info.dilationWidth === 1;

const as4 = (shape: number[]) => shape as [number, number, number, number];

/** A wasm kernel config for `kernelFunc`, keeping the stock kernel's setup step. */
export function config(name: string, kernelFunc: unknown, fallback?: KernelConfig): KernelConfig {
  // keep the stock kernel's setup step: it binds the wasm functions the fallback calls
  return {
    kernelName: name,
    backendName: 'wasm',
    setupFunc: fallback?.setupFunc,
    kernelFunc: kernelFunc as KernelFunc,
  };
}

/**
 * Conv2D, and FusedConv2D (conv + bias + ReLU in one pass; tfjs-layers' conv layers call the fused op
 * outside gradients) on the addon's forward conv; other activations and biases go to `fallback`.
 */
function nativeForwardConfig(addon: NativeAddon, fallback: KernelConfig, fused: boolean): KernelConfig {
  function forward(
    args: Args<{ x: TensorInfo; filter: TensorInfo; bias?: TensorInfo }, FusedConv2DAttrs>,
  ): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias } = inputs;
    const info = backend_util.computeConv2DInfo(
      as4(x.shape),
      as4(filter.shape),
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const activation = (fused && attrs.activation) || 'linear';
    const simpleBias = bias == null || util.sizeFromShape(bias.shape) === info.outChannels;
    const covered = activation === 'linear' || activation === 'relu';
    if (!plain(info, attrs.dataFormat) || x.dtype !== 'float32' || !simpleBias || !covered)
      return fallback.kernelFunc(args as never) as TensorInfo;
    const y = allocate(backend, info.outShape);
    addon.conv2d(
      view(backend, x),
      view(backend, filter),
      bias == null ? null : view(backend, bias),
      activation === 'relu' ? 1 : 0,
      view(backend, y),
      geometryOf(info),
      nativeForwardThreads(),
    );
    return y;
  }
  return config(fused ? 'FusedConv2D' : 'Conv2D', forward, fallback);
}

export const nativeConv2DConfig = (addon: NativeAddon, fallback: KernelConfig) =>
  nativeForwardConfig(addon, fallback, false);

export const nativeFusedConv2DConfig = (addon: NativeAddon, fallback: KernelConfig) =>
  nativeForwardConfig(addon, fallback, true);

type Backprop = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput';

/** The two conv gradients: dw from (x, dy), dx from (dy, filter); the output has the attrs' shape. */
function nativeBackpropConfig(addon: NativeAddon, fallback: KernelConfig, kind: Backprop): KernelConfig {
  const filterGrad = kind === 'Conv2DBackpropFilter';
  function backprop(
    args: Args<Record<string, TensorInfo>, Conv2DBackpropFilterAttrs & Conv2DBackpropInputAttrs>,
  ): TensorInfo {
    const { inputs, backend, attrs } = args;
    const imageShape = filterGrad ? as4(inputs.x.shape) : attrs.inputShape;
    const filterShape = filterGrad ? attrs.filterShape : as4(inputs.filter.shape);
    const info = backend_util.computeConv2DInfo(
      imageShape,
      filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (!plain(info, attrs.dataFormat)) return fallback.kernelFunc(args as never) as TensorInfo;
    const out = allocate(backend, filterGrad ? filterShape : imageShape);
    const [a, b] = filterGrad ? [inputs.x, inputs.dy] : [inputs.dy, inputs.filter];
    const run = filterGrad ? addon.conv2dFilterGrad : addon.conv2dInputGrad;
    run(view(backend, a), view(backend, b), view(backend, out), geometryOf(info));
    return out;
  }
  return config(kind, backprop, fallback);
}

export const nativeConv2DBackpropFilterConfig = (addon: NativeAddon, fallback: KernelConfig) =>
  nativeBackpropConfig(addon, fallback, 'Conv2DBackpropFilter');

export const nativeConv2DBackpropInputConfig = (addon: NativeAddon, fallback: KernelConfig) =>
  nativeBackpropConfig(addon, fallback, 'Conv2DBackpropInput');

/** Batched matmul with transposed operands read in place (no explicit transpose); batch dims equal or 1. */
export function nativeBatchMatMulConfig(addon: NativeAddon, fallback: KernelConfig): KernelConfig {
  function batchMatMul(args: Args<{ a: TensorInfo; b: TensorInfo }, BatchMatMulAttrs>): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { a, b } = inputs;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const sizeA = util.sizeFromShape(batchA);
    const sizeB = util.sizeFromShape(batchB);
    const sameBatch = batchA.length === batchB.length && batchA.every((d, i) => d === batchB[i]);
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || !(sameBatch || sizeA === 1 || sizeB === 1)) {
      return fallback.kernelFunc(args as never) as TensorInfo;
    }
    const m = attrs.transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = attrs.transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = attrs.transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batchShape = backend_util.assertAndGetBroadcastShape(batchA, batchB);
    const batch = Math.max(sizeA, sizeB);
    const c = allocate(backend, [...batchShape, m, n]);
    addon.matmul(
      view(backend, a),
      view(backend, b),
      view(backend, c),
      batch,
      m,
      n,
      k,
      attrs.transposeA ? 1 : 0,
      attrs.transposeB ? 1 : 0,
      sizeA === 1 ? 1 : 0,
      sizeB === 1 ? 1 : 0,
    );
    return c;
  }
  return config('BatchMatMul', batchMatMul, fallback);
}
