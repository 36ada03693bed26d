import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native/addon.ts';
import { allocate, view, type Wasm } from './heap.ts';

/**
 * Sums over leading or trailing axes, accumulated in float64. The stock kernel accumulates in float32
 * (a loss summed over 64x64x64 pixels came out 0.15% low) and transposes leading axes innermost first
 * (every bias gradient). Other axis sets go to the stock kernel. With the native addon, the same sums in C.
 */
export function sumConfig(stockConfig: KernelConfig, addon?: NativeAddon): KernelConfig {
  const stock = stockConfig.kernelFunc;
  function sum(args: { inputs: { x: TensorInfo }; backend: Wasm; attrs: SumAttrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.every((a, i) => a === i);
    const trailing = axes.length > 0 && axes.every((a, i) => a === rank - axes.length + i);
    if (x.dtype !== 'float32' || !(leading || trailing)) return stock(args as never) as TensorInfo;
    const keptShape = leading ? x.shape.slice(axes.length) : x.shape.slice(0, rank - axes.length);
    const kept = keptShape.reduce((a, b) => a * b, 1);
    const reduced = util.sizeFromShape(x.shape) / Math.max(kept, 1);
    const outShape = attrs.keepDims ? backend_util.expandShapeToKeepDim(keptShape, axes) : keptShape;
    const out = allocate(backend, outShape);
    const src = view(backend, x);
    const result = view(backend, out);
    if (addon) {
      if (leading) addon.sumLeading(src, result, reduced, kept);
      else addon.sumTrailing(src, result, kept, reduced);
    } else if (leading) {
      const acc = new Float64Array(kept);
      for (let i = 0, o = 0; i < reduced; i++) {
        for (let j = 0; j < kept; j++, o++) acc[j] += src[o];
      }
      result.set(acc);
    } else {
      for (let j = 0, o = 0; j < kept; j++) {
        let acc = 0;
        for (let i = 0; i < reduced; i++, o++) acc += src[o];
        result[j] = acc;
      }
    }
    return out;
  }
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    setupFunc: stockConfig.setupFunc,
    kernelFunc: sum as unknown as KernelFunc,
  };
}
