import type {
  BatchMatMulAttrs,
  Conv2DAttrs,
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

function config(name: string, kernelFunc: unknown, fallback?: KernelConfig): KernelConfig {
  // keep the stock kernel's setup step: it binds the wasm functions the fallback calls
  return {
    kernelName: name,
    backendName: 'wasm',
    setupFunc: fallback?.setupFunc,
    kernelFunc: kernelFunc as KernelFunc,
  };
}

export function nativeConv2DConfig(addon: NativeAddon, fallback: KernelConfig): KernelConfig {
  function conv2D(args: Args<{ x: TensorInfo; filter: TensorInfo }, Conv2DAttrs>): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs;
    const info = backend_util.computeConv2DInfo(
      as4(x.shape),
      as4(filter.shape),
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (!plain(info, attrs.dataFormat) || x.dtype !== 'float32')
      return fallback.kernelFunc(args as never) as TensorInfo;
    const y = allocate(backend, info.outShape);
    addon.conv2d(
      view(backend, x),
      view(backend, filter),
      null,
      0,
      view(backend, y),
      geometryOf(info),
      nativeForwardThreads(),
    );
    return y;
  }
  return config('Conv2D', conv2D, fallback);
}

/** Conv + bias + ReLU in one pass (inference: tfjs-layers' conv layers call the fused op outside gradients). */
export function nativeFusedConv2DConfig(addon: NativeAddon, fallback: KernelConfig): KernelConfig {
  function fusedConv2D(
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
    const activation = attrs.activation ?? 'linear';
    const simpleBias = bias == null || util.sizeFromShape(bias.shape) === info.outChannels;
    if (!plain(info, attrs.dataFormat) || !simpleBias || (activation !== 'linear' && activation !== 'relu')) {
      return fallback.kernelFunc(args as never) as TensorInfo;
    }
    const y = allocate(backend, info.outShape);
    const biasView = bias == null ? null : view(backend, bias);
    const relu = activation === 'relu' ? 1 : 0;
    addon.conv2d(
      view(backend, x),
      view(backend, filter),
      biasView,
      relu,
      view(backend, y),
      geometryOf(info),
      nativeForwardThreads(),
    );
    return y;
  }
  return config('FusedConv2D', fusedConv2D, fallback);
}

export function nativeConv2DBackpropFilterConfig(addon: NativeAddon, fallback: KernelConfig): KernelConfig {
  function conv2DBackpropFilter(
    args: Args<{ x: TensorInfo; dy: TensorInfo }, Conv2DBackpropFilterAttrs>,
  ): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x, dy } = inputs;
    const info = backend_util.computeConv2DInfo(
      as4(x.shape),
      attrs.filterShape,
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (!plain(info, attrs.dataFormat)) return fallback.kernelFunc(args as never) as TensorInfo;
    const dw = allocate(backend, attrs.filterShape);
    addon.conv2dFilterGrad(view(backend, x), view(backend, dy), view(backend, dw), geometryOf(info));
    return dw;
  }
  return config('Conv2DBackpropFilter', conv2DBackpropFilter, fallback);
}

export function nativeConv2DBackpropInputConfig(addon: NativeAddon, fallback: KernelConfig): KernelConfig {
  function conv2DBackpropInput(
    args: Args<{ dy: TensorInfo; filter: TensorInfo }, Conv2DBackpropInputAttrs>,
  ): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs;
    const info = backend_util.computeConv2DInfo(
      attrs.inputShape,
      as4(filter.shape),
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    if (!plain(info, attrs.dataFormat)) return fallback.kernelFunc(args as never) as TensorInfo;
    const dx = allocate(backend, attrs.inputShape);
    addon.conv2dInputGrad(view(backend, dy), view(backend, filter), view(backend, dx), geometryOf(info));
    return dx;
  }
  return config('Conv2DBackpropInput', conv2DBackpropInput, fallback);
}

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
