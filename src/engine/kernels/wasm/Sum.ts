import type { KernelConfig, KernelFunc, SumAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import { allocate, view, type Wasm } from './heap.ts';

/**
 * Sums over leading axes (every bias gradient: dy summed over batch and space) without the transpose
 * the stock kernel makes to bring those axes innermost; float64 accumulation. Other sums go to stock.
 */
export function sumConfig(stockConfig: KernelConfig): KernelConfig {
  const stock = stockConfig.kernelFunc;
  function sum(args: { inputs: { x: TensorInfo }; backend: Wasm; attrs: SumAttrs }): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    const rank = x.shape.length;
    const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const leading = axes.every((a, i) => a === i) && axes.length > 0 && axes.length < rank;
    if (x.dtype !== 'float32' || !leading) return stock(args as never) as TensorInfo;
    const outer = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const innerShape = x.shape.slice(axes.length);
    const inner = innerShape.reduce((a, b) => a * b, 1);
    const outShape = attrs.keepDims ? backend_util.expandShapeToKeepDim(innerShape, axes) : innerShape;
    const out = allocate(backend, outShape);
    const src = view(backend, x);
    const acc = new Float64Array(inner);
    for (let i = 0, o = 0; i < outer; i++) {
      for (let j = 0; j < inner; j++, o++) acc[j] += src[o];
    }
    view(backend, out).set(acc);
    return out;
  }
  return {
    kernelName: 'Sum',
    backendName: 'wasm',
    setupFunc: stockConfig.setupFunc,
    kernelFunc: sum as unknown as KernelFunc,
  };
}
