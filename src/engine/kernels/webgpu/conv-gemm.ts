import type { backend_util } from '@tensorflow/tfjs-core';
import { activationWgsl, type GemmShape, type GemmSpec } from './gemm.ts';
import type { ProgramUniform } from './program.ts';

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

/** x at (b, ih, iw, ci), 0 outside the image (the padding). */
const READ_X = `
  fn readX(b : i32, ih : i32, iw : i32, ci : i32) -> f32 {
    if (ih < 0 || ih >= uniforms.inH || iw < 0 || iw >= uniforms.inW) { return 0.0; }
    return x[((b * uniforms.inH + ih) * uniforms.inW + iw) * uniforms.inC + ci];
  }`;

/**
 * The forward conv as implicit GEMM: y[(b,oh,ow), co] = Σ_{(kh,kw,ci)} x[b, oh·s+kh-pad, ow·s+kw-pad, ci]
 * · w[(kh,kw,ci), co], with bias and activation in the epilogue (FusedConv2D).
 */
export function conv2dGemm(
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
          let ow = m % uniforms.outW;
          let t = m / uniforms.outW;
          let oh = t % uniforms.outH;
          let b = t / uniforms.outH;
          let ci = k % uniforms.inC;
          let tap = k / uniforms.inC;
          let kw = tap % uniforms.kW;
          let kh = tap / uniforms.kW;
          return readX(b, oh * uniforms.strideH - uniforms.padTop + kh, ow * uniforms.strideW - uniforms.padLeft + kw, ci);
        }`,
      loadB: 'fn loadB(z : i32, k : i32, n : i32) -> f32 { return w[k * uniforms.N + n]; }',
      finish: `fn finish(m : i32, n : i32, acc : f32) -> f32 {
          let v = acc${fused.bias ? ' + bias[n]' : ''};
          return ${act};
        }`,
    },
  };
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
  const decode = `
    fn phaseOf(z : i32) -> vec2<i32> { return vec2<i32>(z / uniforms.strideW, z % uniforms.strideW); }
    fn pixelOf(z : i32, m : i32) -> vec3<i32> {
      let p = phaseOf(z);
      let j = m % ${colsPerPhase};
      let t = m / ${colsPerPhase};
      let i = t % ${rowsPerPhase};
      return vec3<i32>(t / ${rowsPerPhase}, p.x + i * uniforms.strideH, p.y + j * uniforms.strideW);
    }
    fn tapOf(z : i32, k : i32) -> vec3<i32> {
      let p = phaseOf(z);
      let co = k % uniforms.outC;
      let t = k / uniforms.outC;
      let jw = t % ${tapsW};
      let jh = t / ${tapsW};
      let kh = (p.x + uniforms.padTop) % uniforms.strideH + jh * uniforms.strideH;
      let kw = (p.y + uniforms.padLeft) % uniforms.strideW + jw * uniforms.strideW;
      return vec3<i32>(kh, kw, co);
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
          let oh = (px.y + uniforms.padTop - tap.x) / uniforms.strideH;
          let ow = (px.z + uniforms.padLeft - tap.y) / uniforms.strideW;
          if (px.y + uniforms.padTop < tap.x || px.z + uniforms.padLeft < tap.y || oh >= uniforms.outH || ow >= uniforms.outW) { return 0.0; }
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
          let ci = m % uniforms.inC;
          let tap = m / uniforms.inC;
          let kw = tap % uniforms.kW;
          let kh = tap / uniforms.kW;
          let ow = k % uniforms.outW;
          let t = k / uniforms.outW;
          let oh = t % uniforms.outH;
          let b = t / uniforms.outH;
          return readX(b, oh * uniforms.strideH - uniforms.padTop + kh, ow * uniforms.strideW - uniforms.padLeft + kw, ci);
        }`,
      loadB: 'fn loadB(z : i32, k : i32, n : i32) -> f32 { return dy[k * uniforms.N + n]; }',
    },
  };
}
