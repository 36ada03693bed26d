import type { TensorInfo } from '@tensorflow/tfjs-core';
import { allocate, free, runKernel, view, type Wasm } from './heap.ts';

/**
 * Convolution gradients of layers with very few image channels (the first encoder conv, the last
 * decoder deconv) as one matmul: XNNPACK's conv is slow there (a 1-channel GEMM side), a plain matmul
 * over im2col columns is not.
 */
export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  outH: number;
  outW: number;
  outChannels: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

const as3d = (info: TensorInfo, shape: number[]): TensorInfo => ({
  dataId: info.dataId,
  shape,
  dtype: info.dtype,
});

/** dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−p, ow·s+kw−p, ci] dy[n,oh,ow,co] = im2colᵀ(x) · dy. */
export function filterGradientByMatmul(
  backend: Wasm,
  x: TensorInfo,
  dy: TensorInfo,
  g: ConvGeometry,
): TensorInfo {
  const rows = g.kh * g.kw * g.channels;
  const cols = g.batch * g.outH * g.outW;
  const columns = allocate(backend, [1, rows, cols]);
  const src = view(backend, x);
  const dst = view(backend, columns);
  const { batch, inH, inW, channels, outH, outW, strideH, strideW, padTop, padLeft } = g;
  for (let kh = 0; kh < g.kh; kh++) {
    for (let kw = 0; kw < g.kw; kw++) {
      for (let c = 0; c < channels; c++) {
        let o = ((kh * g.kw + kw) * channels + c) * cols;
        for (let n = 0; n < batch; n++) {
          for (let oh = 0; oh < outH; oh++) {
            const ih = oh * strideH + kh - padTop;
            if (ih < 0 || ih >= inH) {
              dst.fill(0, o, o + outW);
              o += outW;
              continue;
            }
            const rowBase = (n * inH + ih) * inW;
            for (let ow = 0; ow < outW; ow++, o++) {
              const iw = ow * strideW + kw - padLeft;
              dst[o] = iw >= 0 && iw < inW ? src[(rowBase + iw) * channels + c] : 0;
            }
          }
        }
      }
    }
  }
  const product = runKernel(
    backend,
    'BatchMatMul',
    { a: columns, b: as3d(dy, [1, cols, g.outChannels]) },
    { transposeA: false, transposeB: false },
  );
  free(backend, columns);
  return { dataId: product.dataId, shape: [g.kh, g.kw, g.channels, g.outChannels], dtype: 'float32' };
}

/** dx = col2im(dy · Wᵀ): every output position's kh·kw·ci contributions scattered back onto the image. */
export function inputGradientByMatmul(
  backend: Wasm,
  dy: TensorInfo,
  w: TensorInfo,
  g: ConvGeometry,
): TensorInfo {
  const rows = g.batch * g.outH * g.outW;
  const taps = g.kh * g.kw * g.channels;
  const wT = allocate(backend, [1, g.outChannels, taps]);
  {
    const src = view(backend, w);
    const dst = view(backend, wT);
    for (let t = 0; t < taps; t++)
      for (let co = 0; co < g.outChannels; co++) dst[co * taps + t] = src[t * g.outChannels + co];
  }
  const contributions = runKernel(
    backend,
    'BatchMatMul',
    { a: as3d(dy, [1, rows, g.outChannels]), b: wT },
    { transposeA: false, transposeB: false },
  );
  free(backend, wT);
  const dx = allocate(backend, [g.batch, g.inH, g.inW, g.channels]);
  const out = view(backend, dx);
  const src = view(backend, contributions);
  out.fill(0);
  const { batch, inH, inW, channels, outH, outW, strideH, strideW, padTop, padLeft } = g;
  const kHeight = g.kh;
  const kWidth = g.kw;
  let r = 0;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, r++) {
        const base = r * taps;
        for (let kh = 0; kh < kHeight; kh++) {
          const ih = oh * strideH + kh - padTop;
          if (ih < 0 || ih >= inH) continue;
          for (let kw = 0; kw < kWidth; kw++) {
            const iw = ow * strideW + kw - padLeft;
            if (iw < 0 || iw >= inW) continue;
            const d = ((n * inH + ih) * inW + iw) * channels;
            const s = base + (kh * kWidth + kw) * channels;
            for (let c = 0; c < channels; c++) out[d + c] += src[s + c];
          }
        }
      }
    }
  }
  free(backend, contributions);
  return dx;
}

/** Below this many image channels the matmul forms beat XNNPACK's conv (measured on the conv64 nets). */
export const MATMUL_CHANNEL_LIMIT = 4;
