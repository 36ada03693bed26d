import type { Conv2DBackpropInputAttrs, KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { inputGradientByMatmul, MATMUL_CHANNEL_LIMIT } from './conv-as-matmul.ts';
import { allocate, free, runKernel, view, type Wasm } from './heap.ts';

/**
 * The input gradient (= transposed convolution) by sub-pixel decomposition: output rows h = s*i + p of
 * phase p only meet filter taps kh = r + s*m with r = (p + padTop) mod s, so each of the s*s phases is
 * a stride-1 forward conv of dy with a small flipped sub-filter; the phases are then interleaved.
 * This keeps all the arithmetic on XNNPACK's fast forward conv (the stock kernel runs at ~1 GFLOP/s).
 */
interface Phase {
  /** first filter tap of this phase */
  r: number;
  /** number of taps */
  taps: number;
  /** dy index of the first tap for output index 0 */
  start: number;
  /** outputs of this phase */
  count: number;
}

function phaseAlongAxis(p: number, stride: number, pad: number, k: number, size: number): Phase {
  const r = (((p + pad) % stride) + stride) % stride;
  const taps = r < k ? Math.ceil((k - r) / stride) : 0;
  const q = Math.floor((p + pad - r) / stride);
  return { r, taps, start: q - (taps - 1), count: Math.max(0, Math.ceil((size - p) / stride)) };
}

/** g[jh,jw,co,ci] = w[rh + s*(Th-1-jh), rw + s*(Tw-1-jw), ci, co]: flipped, strided, in/out swapped. */
function subFilter(backend: Wasm, w: TensorInfo, ph: Phase, pw: Phase, sh: number, sw: number): TensorInfo {
  const [, kw, ci, co] = w.shape;
  const g = allocate(backend, [ph.taps, pw.taps, co, ci]);
  const src = view(backend, w);
  const dst = view(backend, g);
  let o = 0;
  for (let jh = 0; jh < ph.taps; jh++) {
    const h = ph.r + sh * (ph.taps - 1 - jh);
    for (let jw = 0; jw < pw.taps; jw++) {
      const x = pw.r + sw * (pw.taps - 1 - jw);
      const base = (h * kw + x) * ci * co;
      for (let c = 0; c < co; c++) {
        for (let i = 0; i < ci; i++) dst[o++] = src[base + i * co + c];
      }
    }
  }
  return g;
}

/** The phase's output [N, ph.count, pw.count, Ci]: a stride-1 conv of dy, padded or cropped to fit. */
function phaseOutput(backend: Wasm, dy: TensorInfo, g: TensorInfo, ph: Phase, pw: Phase): TensorInfo {
  const [, outH, outW] = dy.shape;
  // Rows of dy needed: start .. start + count - 1 + taps - 1; pad where that leaves dy, crop where it starts inside.
  const cropTop = Math.max(ph.start, 0);
  const cropLeft = Math.max(pw.start, 0);
  let source = dy;
  if (cropTop > 0 || cropLeft > 0) {
    source = runKernel(
      backend,
      'Slice',
      { x: dy },
      { begin: [0, cropTop, cropLeft, 0], size: [-1, -1, -1, -1] },
    );
  }
  const padTop = Math.max(-ph.start, 0);
  const padLeft = Math.max(-pw.start, 0);
  const lastH = ph.start + ph.count - 1 + ph.taps - 1;
  const lastW = pw.start + pw.count - 1 + pw.taps - 1;
  const padBottom = Math.max(lastH - (outH - 1), 0);
  const padRight = Math.max(lastW - (outW - 1), 0);
  let out = runKernel(
    backend,
    'Conv2D',
    { x: source, filter: g },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [padTop, padBottom],
        [padLeft, padRight],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    },
  );
  if (source !== dy) free(backend, source);
  if (out.shape[1] !== ph.count || out.shape[2] !== pw.count) {
    const cropped = runKernel(
      backend,
      'Slice',
      { x: out },
      { begin: [0, 0, 0, 0], size: [-1, ph.count, pw.count, -1] },
    );
    free(backend, out);
    out = cropped;
  }
  return out;
}

function conv2DBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: Wasm;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  if (dataFormat !== 'NHWC') throw new Error('Conv2DBackpropInput (wasm): only NHWC is supported');
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const [batch, inH, inW, inC] = inputShape;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  if (inC <= MATMUL_CHANNEL_LIMIT) {
    const [, outH, outW, outChannels] = dy.shape;
    const geometry = { batch, inH, inW, channels: inC, outH, outW, outChannels, strideH: sh, strideW: sw };
    const taps = {
      kh: info.filterHeight,
      kw: info.filterWidth,
      padTop: info.padInfo.top,
      padLeft: info.padInfo.left,
    };
    return inputGradientByMatmul(backend, dy, filter, { ...geometry, ...taps });
  }
  const dx = allocate(backend, [batch, inH, inW, inC]);
  view(backend, dx).fill(0);
  for (let py = 0; py < sh; py++) {
    const ph = phaseAlongAxis(py, sh, info.padInfo.top, info.filterHeight, inH);
    for (let px = 0; px < sw; px++) {
      const pw = phaseAlongAxis(px, sw, info.padInfo.left, info.filterWidth, inW);
      if (ph.taps === 0 || pw.taps === 0 || ph.count === 0 || pw.count === 0) continue;
      const g = subFilter(backend, filter, ph, pw, sh, sw);
      const part = phaseOutput(backend, dy, g, ph, pw);
      interleave(
        view(backend, part),
        view(backend, dx),
        [batch, inH, inW, inC],
        ph.count,
        pw.count,
        py,
        px,
        sh,
        sw,
      );
      free(backend, g, part);
    }
  }
  return dx;
}

/** dx[n, s*i+py, s*j+px, :] = part[n, i, j, :] */
function interleave(
  part: Float32Array,
  dx: Float32Array,
  [batch, inH, inW, inC]: number[],
  rows: number,
  cols: number,
  py: number,
  px: number,
  sh: number,
  sw: number,
): void {
  let o = 0;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < rows; i++) {
      let d = ((n * inH + sh * i + py) * inW + px) * inC;
      const step = sw * inC;
      if (inC === 1) {
        for (let j = 0; j < cols; j++, d += step) dx[d] = part[o++];
      } else {
        for (let j = 0; j < cols; j++, d += step, o += inC) dx.set(part.subarray(o, o + inC), d);
      }
    }
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelConfig['kernelFunc'],
};
