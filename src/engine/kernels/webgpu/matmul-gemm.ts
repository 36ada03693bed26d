import type { TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import { activationWgsl, type GemmShape, type GemmSpec, runGemm, splitCount } from './gemm.ts';
import type { ProgramUniform, WebgpuBackend } from './program.ts';

export interface MatMulOptions {
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfo;
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * A (batched) matmul with either operand transposed read in place, no transpose pass:
 * C[z] = op(A[z]) · op(B[z]), batch dims equal or one side 1, optional bias[n] and activation.
 * Returns undefined for what it does not cover (broadcast batch shapes, other dtypes or activations).
 */
export function runMatMul(
  backend: WebgpuBackend,
  a: TensorInfo,
  b: TensorInfo,
  options: MatMulOptions,
): TensorInfo | undefined {
  const { transposeA, transposeB, bias, activation } = options;
  const act = activationWgsl(activation);
  if (act == null || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  const rankA = a.shape.length;
  const rankB = b.shape.length;
  const M = transposeA ? a.shape[rankA - 1] : a.shape[rankA - 2];
  const K = transposeA ? a.shape[rankA - 2] : a.shape[rankA - 1];
  const N = transposeB ? b.shape[rankB - 2] : b.shape[rankB - 1];
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  const batches = Math.max(batchA, batchB);
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  if (bias != null && util.sizeFromShape(bias.shape) !== N) return undefined;
  const outer = batchA >= batchB ? outerA : outerB;
  const alpha = activation === 'leakyrelu';
  const shape: GemmShape = { M, N, K, batches };
  const uniformValues: ProgramUniform[] = [
    { type: 'int32', data: [batchA] },
    { type: 'int32', data: [batchB] },
    ...(alpha ? [{ type: 'float32', data: [options.leakyreluAlpha ?? 0.2] } as ProgramUniform] : []),
  ];
  const spec: GemmSpec = {
    key: `matmul_${transposeA}_${transposeB}_${bias != null}_${activation ?? 'linear'}`,
    variableNames: bias == null ? ['a', 'b'] : ['a', 'b', 'bias'],
    uniforms: `batchA : i32, batchB : i32,${alpha ? ' alpha : f32,' : ''}`,
    uniformValues,
    aFastest: transposeA ? 'm' : 'k',
    bFastest: transposeB ? 'k' : 'n',
    loadA: `fn loadA(z : i32, m : i32, k : i32) -> f32 {
        let base = select(z, 0, uniforms.batchA == 1) * uniforms.M * uniforms.K;
        return a[base + ${transposeA ? 'k * uniforms.M + m' : 'm * uniforms.K + k'}];
      }`,
    loadB: `fn loadB(z : i32, k : i32, n : i32) -> f32 {
        let base = select(z, 0, uniforms.batchB == 1) * uniforms.K * uniforms.N;
        return b[base + ${transposeB ? 'n * uniforms.K + k' : 'k * uniforms.N + n'}];
      }`,
    finish: `fn finish(m : i32, n : i32, acc : f32) -> f32 {
        let v = acc${bias != null ? ' + bias[n]' : ''};
        return ${act};
      }`,
  };
  const operands = bias == null ? [a, b] : [a, b, bias];
  return runGemm(backend, spec, operands, shape, [...outer, M, N], splitCount(shape));
}
