import type { Conv2DBackpropFilterAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { filterGradientByMatmul, MATMUL_CHANNEL_LIMIT } from './conv-as-matmul.ts';
import { free, runKernel, transpose4d, type Wasm } from './heap.ts';

/**
 * The filter gradient, which the wasm backend lacks, as one forward convolution on XNNPACK:
 * dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s+kh-pad, ow*s+kw-pad, ci] dy[n,oh,ow,co]
 * is a conv of x^T [Ci,H,W,N] with dy^T [OH,OW,N,Co] as the filter, dilated by the stride.
 */
function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: Wasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropFilter (wasm): only NHWC is supported');
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [kh, kw] = [info.filterHeight, info.filterWidth];
  const { top, left } = info.padInfo;
  const [batch, inH, inW, channels] = x.shape;
  const [, outH, outW, outChannels] = dy.shape;
  if (channels <= MATMUL_CHANNEL_LIMIT) {
    const geometry = {
      batch,
      inH,
      inW,
      channels,
      outH,
      outW,
      outChannels,
      kh,
      kw,
      padTop: top,
      padLeft: left,
    };
    return filterGradientByMatmul(backend, x, dy, {
      ...geometry,
      strideH: info.strideHeight,
      strideW: info.strideWidth,
    });
  }
  // Pad so the correlation yields exactly kh x kw taps; a negative bottom/right means rows the forward
  // conv never read (valid padding with a remainder): compute them and slice them away.
  const bottom = kh - inH - top + (outH - 1) * info.strideHeight;
  const right = kw - inW - left + (outW - 1) * info.strideWidth;
  const xT = transpose4d(backend, x, [3, 1, 2, 0]);
  const dyT = transpose4d(backend, dy, [1, 2, 0, 3]);
  const conv = runKernel(
    backend,
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [top, Math.max(bottom, 0)],
        [left, Math.max(right, 0)],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: undefined,
    },
  );
  free(backend, xT, dyT);
  let taps = conv;
  if (bottom < 0 || right < 0) {
    taps = runKernel(backend, 'Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [-1, kh, kw, -1] });
    free(backend, conv);
  }
  const dW = transpose4d(backend, taps, [1, 2, 0, 3]);
  free(backend, taps);
  return dW;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelConfig['kernelFunc'],
};
