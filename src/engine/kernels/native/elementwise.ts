import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import { allocate, view, type Wasm } from '../wasm/heap.ts';
import type { NativeAddon } from './addon.ts';
import { config } from './kernels.ts';

/**
 * The elementwise kernels of a training step on the native addon (elementwise.c): binary ops on equal
 * shapes or with a trailing bias (either side for Add and Multiply), and the unary ops of ReLU, its
 * gradient and the Bernoulli loss. Other shapes and dtypes go to the stock wasm kernel.
 */
export const BINARY_OPS = ['Add', 'Sub', 'Multiply'] as const;
export const UNARY_OPS = ['Relu', 'Step', 'Neg', 'Abs', 'Softplus'] as const;

type Args<I> = { inputs: I; backend: Wasm; attrs: { alpha?: number } };

/** The repeat period of `small` inside `big`: its size where its shape (less leading 1s) ends big's, else 0. */
function trailingPeriod(big: number[], small: number[]): number {
  let first = 0;
  while (first < small.length && small[first] === 1) first++;
  const tail = small.slice(first);
  if (tail.length > big.length) return 0;
  const end = big.slice(big.length - tail.length);
  return tail.every((d, i) => d === end[i]) ? util.sizeFromShape(tail) : 0;
}

export function nativeBinaryConfig(
  addon: NativeAddon,
  name: (typeof BINARY_OPS)[number],
  fallback: KernelConfig,
): KernelConfig {
  const op = BINARY_OPS.indexOf(name);
  const commutes = name !== 'Sub';
  function binary(args: Args<{ a: TensorInfo; b: TensorInfo }>): TensorInfo {
    const { backend } = args;
    let { a, b } = args.inputs;
    if (a.dtype !== 'float32' || b.dtype !== 'float32')
      return fallback.kernelFunc(args as never) as TensorInfo;
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const size = util.sizeFromShape(outShape);
    if (commutes && util.sizeFromShape(a.shape) < size) [a, b] = [b, a];
    if (util.sizeFromShape(a.shape) !== size || size === 0)
      return fallback.kernelFunc(args as never) as TensorInfo;
    const period = util.sizeFromShape(b.shape) === size ? size : trailingPeriod(outShape, b.shape);
    if (period === 0) return fallback.kernelFunc(args as never) as TensorInfo;
    const out = allocate(backend, outShape);
    addon.binary(op, view(backend, a), view(backend, b), view(backend, out));
    return out;
  }
  return config(name, binary, fallback);
}

export function nativeUnaryConfig(
  addon: NativeAddon,
  name: (typeof UNARY_OPS)[number],
  fallback: KernelConfig,
): KernelConfig {
  const op = UNARY_OPS.indexOf(name);
  function unary(args: Args<{ x: TensorInfo }>): TensorInfo {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype !== 'float32') return fallback.kernelFunc(args as never) as TensorInfo;
    const out = allocate(backend, x.shape);
    addon.unary(op, view(backend, x), view(backend, out), attrs?.alpha ?? 0);
    return out;
  }
  return config(name, unary, fallback);
}
