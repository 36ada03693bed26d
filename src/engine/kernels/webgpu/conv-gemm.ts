import type { Conv2DAttrs, TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util, util } from '@tensorflow/tfjs-core';
import { activationWgsl, type GemmShape, type GemmSpec, runGemm } from './gemm.ts';
import type { ProgramUniform, WebgpuBackend } from './program.ts';

/** NHWC, dilation 1: the convolutions our GEMMs cover (others go to the stock kernels). */
export function coveredConv(info: backend_util.Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.dilationHeight === 1 && info.dilationWidth === 1;
}

const GEOMETRY = [
  'batch',
  'inH',
  'inW',
  'inC',
  'outH',
  'outW',
  'outC',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padTop',
  'padLeft',
] as const;

function geometry(info: backend_util.Conv2DInfo): { uniforms: string; uniformValues: ProgramUniform[] } {
  const values: Record<(typeof GEOMETRY)[number], number> = {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  return {
    uniforms: GEOMETRY.map((name) => `${name} : i32,`).join(' '),
    uniformValues: GEOMETRY.map((name) => ({ type: 'int32', data: [values[name]] })),
  };
}

/**
 * a / b and a % b (0 ≤ a < 2^24, b > 0) through f32 division and one correction step. A division by a
 * uniform is a scalar loop of checked integer divisions on most hardware (and on SwiftShader, per lane);
 * the gathers below decode an index on every staged element, so this is their inner-loop cost.
 */
const DIVMOD = `
  fn divmod(a : i32, b : i32) -> vec2<i32> {
    var q = i32((f32(a) + 0.5) / f32(b));
    let r = a - q * b;
    q = q + select(0, -1, r < 0) + select(0, 1, r >= b);
    return vec2<i32>(q, a - q * b);
  }`;

/** x at (b, ih, iw, ci), 0 outside the image (the padding). */
const READ_X = `${DIVMOD}
  fn readX(b : i32, ih : i32, iw : i32, ci : i32) -> f32 {
    if (ih < 0 || ih >= uniforms.inH || iw < 0 || iw >= uniforms.inW) { return 0.0; }
    return x[((b * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + ci];
  }`;

/**
 * The forward conv as implicit GEMM: y[(b,oh,ow), co] = Σ_{(kh,kw,ci)} x[b, oh·s+kh-pad, ow·s+kw-pad, ci]
 * · w[(kh,kw,ci), co], with bias and activation in the epilogue (FusedConv2D).
 */
function conv2dGemm(
  info: backend_util.Conv2DInfo,
  fused: { bias: boolean; activation?: string; leakyreluAlpha?: number } = { bias: false },
): { spec: GemmSpec; shape: GemmShape } | undefined {
  const act = activationWgsl(fused.activation);
  if (act == null) return undefined;
  const geo = geometry(info);
  const alpha = fused.activation === 'leakyrelu';
  return {
    shape: {
      M: info.batchSize * info.outHeight * info.outWidth,
      N: info.outChannels,
      K: info.filterHeight * info.filterWidth * info.inChannels,
      batches: 1,
    },
    spec: {
      key: `conv2d_${fused.bias}_${fused.activation ?? 'linear'}`,
      variableNames: fused.bias ? ['x', 'w', 'bias'] : ['x', 'w'],
      uniforms: `${geo.uniforms}${alpha ? ' alpha : f32,' : ''}`,
      uniformValues: [
        ...geo.uniformValues,
        ...(alpha ? [{ type: 'float32', data: [fused.leakyreluAlpha ?? 0.2] } as ProgramUniform] : []),
      ],
      aFastest: 'k',
      bFastest: 'n',
      loadA: `${READ_X}
        fn loadA(z : i32, m : i32, k : i32) -> f32 {
          let owT = divmod(m, uniforms.outW);
          let ohB = divmod(owT.x, uniforms.outH);
          let ciTap = divmod(k, uniforms.inC);
          let kwKh = divmod(ciTap.x, uniforms.kW);
          return readX(ohB.x, ohB.y * uniforms.strideH - uniforms.padTop + kwKh.x, owT.y * uniforms.strideW - uniforms.padLeft + kwKh.y, ciTap.y);
        }`,
      loadB: 'fn loadB(z : i32, k : i32, n : i32) -> f32 { return w[k * uniforms.N + n]; }',
      finish: `fn finish(m : i32, n : i32, acc : f32) -> f32 {
          let v = acc${fused.bias ? ' + bias[n]' : ''};
          return ${act};
        }`,
    },
  };
}

/** The epilogue of a fused forward conv: bias[co] and an activation (tfjs's fused-op names). */
export interface ConvEpilogue {
  bias?: TensorInfo;
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * The forward conv (Conv2D, and FusedConv2D with its epilogue) as one implicit-GEMM dispatch, or
 * undefined for what it does not cover (NCHW, dilation, other dtypes or activations, a bias that is
 * not one per output channel): the caller's stock kernel runs those.
 */
export function runConv2D(
  backend: WebgpuBackend,
  x: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DAttrs,
  epilogue: ConvEpilogue = {},
): TensorInfo | undefined {
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
  const { bias } = epilogue;
  if (!coveredConv(info) || x.dtype !== 'float32') return undefined;
  if (bias != null && util.sizeFromShape(bias.shape) !== info.outChannels) return undefined;
  const gemm = conv2dGemm(info, { ...epilogue, bias: bias != null });
  if (gemm == null) return undefined;
  const operands = bias == null ? [x, filter] : [x, filter, bias];
  return runGemm(backend, gemm.spec, operands, gemm.shape, info.outShape);
}

/**
 * The input gradient (= transposed conv) as implicit GEMM, one output phase per z: the pixels with
 * ih ≡ ph, iw ≡ pw (mod stride) meet only the taps kh ≡ ih+pad (mod stride), so each phase is a
 * dense GEMM over ⌈kH/s⌉·⌈kW/s⌉·Co instead of kH·kW·Co mostly-zero terms:
 * dx[b,ih,iw,ci] = Σ dy[b, (ih+pad-kh)/s, (iw+pad-kw)/s, co] · w[kh,kw,ci,co].
 */
export function conv2dBackpropInputGemm(info: backend_util.Conv2DInfo): { spec: GemmSpec; shape: GemmShape } {
  const geo = geometry(info);
  const sH = info.strideHeight;
  const sW = info.strideWidth;
  const rowsPerPhase = Math.ceil(info.inHeight / sH);
  const colsPerPhase = Math.ceil(info.inWidth / sW);
  const tapsH = Math.ceil(info.filterHeight / sH);
  const tapsW = Math.ceil(info.filterWidth / sW);
  // the phase, pixel and tap decoding shared by loadA, loadB and outIndex
  const decode = `${DIVMOD}
    fn phaseOf(z : i32) -> vec2<i32> { return divmod(z, uniforms.strideW); }
    fn pixelOf(z : i32, m : i32) -> vec3<i32> {
      let p = phaseOf(z);
      let j = m % ${colsPerPhase};
      let t = m / ${colsPerPhase};
      let i = t % ${rowsPerPhase};
      return vec3<i32>(t / ${rowsPerPhase}, p.x + i * uniforms.strideH, p.y + j * uniforms.strideW);
    }
    fn tapOf(z : i32, k : i32) -> vec3<i32> {
      let p = phaseOf(z);
      let coT = divmod(k, uniforms.outC);
      let jw = coT.x % ${tapsW};
      let jh = coT.x / ${tapsW};
      let kh = divmod(p.x + uniforms.padTop, uniforms.strideH).y + jh * uniforms.strideH;
      let kw = divmod(p.y + uniforms.padLeft, uniforms.strideW).y + jw * uniforms.strideW;
      return vec3<i32>(kh, kw, coT.y);
    }`;
  return {
    shape: {
      M: info.batchSize * rowsPerPhase * colsPerPhase,
      N: info.inChannels,
      K: tapsH * tapsW * info.outChannels,
      batches: sH * sW,
    },
    spec: {
      key: `conv2dBackpropInput_${rowsPerPhase}_${colsPerPhase}_${tapsH}_${tapsW}`,
      variableNames: ['dy', 'w'],
      uniforms: geo.uniforms,
      uniformValues: geo.uniformValues,
      aFastest: 'k',
      bFastest: 'k',
      loadA: `${decode}
        fn loadA(z : i32, m : i32, k : i32) -> f32 {
          let px = pixelOf(z, m);
          let tap = tapOf(z, k);
          if (px.y >= uniforms.inH || px.z >= uniforms.inW || tap.x >= uniforms.kH || tap.y >= uniforms.kW) { return 0.0; }
          if (px.y + uniforms.padTop < tap.x || px.z + uniforms.padLeft < tap.y) { return 0.0; }
          // exact: kh ≡ ih + pad (mod stride) by construction of the phase
          let oh = divmod(px.y + uniforms.padTop - tap.x, uniforms.strideH).x;
          let ow = divmod(px.z + uniforms.padLeft - tap.y, uniforms.strideW).x;
          if (oh >= uniforms.outH || ow >= uniforms.outW) { return 0.0; }
          return dy[((px.x * uniforms.outH + oh) * uniforms.outW + ow) * uniforms.outC + tap.z];
        }`,
      loadB: `fn loadB(z : i32, k : i32, n : i32) -> f32 {
          let tap = tapOf(z, k);
          if (tap.x >= uniforms.kH || tap.y >= uniforms.kW) { return 0.0; }
          return w[((tap.x * uniforms.kW + tap.y) * uniforms.inC + n) * uniforms.outC + tap.z];
        }`,
      outIndex: `fn outIndex(slice : i32, z : i32, m : i32, n : i32) -> i32 {
          let px = pixelOf(z, m);
          if (px.y >= uniforms.inH || px.z >= uniforms.inW) { return -1; }
          return ((px.x * uniforms.inH + px.y) * uniforms.inW + px.z) * uniforms.inC + n;
        }`,
    },
  };
}

/**
 * The filter gradient as split-K implicit GEMM:
 * dw[(kh,kw,ci), co] = Σ_{(b,oh,ow)} x[b, oh·s+kh-pad, ow·s+kw-pad, ci] · dy[(b,oh,ow), co];
 * K = batch·OH·OW is long and the output small, so K is cut into slices summed afterwards.
 */
export function conv2dBackpropFilterGemm(info: backend_util.Conv2DInfo): {
  spec: GemmSpec;
  shape: GemmShape;
} {
  const geo = geometry(info);
  return {
    shape: {
      M: info.filterHeight * info.filterWidth * info.inChannels,
      N: info.outChannels,
      K: info.batchSize * info.outHeight * info.outWidth,
      batches: 1,
    },
    spec: {
      key: 'conv2dBackpropFilter',
      variableNames: ['x', 'dy'],
      uniforms: geo.uniforms,
      uniformValues: geo.uniformValues,
      aFastest: 'm',
      bFastest: 'n',
      loadA: `${READ_X}
        fn loadA(z : i32, m : i32, k : i32) -> f32 {
          let ciTap = divmod(m, uniforms.inC);
          let kwKh = divmod(ciTap.x, uniforms.kW);
          let owT = divmod(k, uniforms.outW);
          let ohB = divmod(owT.x, uniforms.outH);
          return readX(ohB.x, ohB.y * uniforms.strideH - uniforms.padTop + kwKh.x, owT.y * uniforms.strideW - uniforms.padLeft + kwKh.y, ciTap.y);
        }`,
      loadB: 'fn loadB(z : i32, k : i32, n : i32) -> f32 { return dy[k * uniforms.N + n]; }',
    },
  };
}
