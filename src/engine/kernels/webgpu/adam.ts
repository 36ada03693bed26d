import type { TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { perIndexProgram } from './per-index.ts';
import type { ProgramUniform, WebgpuBackend } from './program.ts';

export interface AdamStep {
  /** lr·sqrt(1-β2^t)/(1-β1^t), computed on the host in float64 */
  lrT: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * One Adam update of one variable in two dispatches instead of about ten elementwise ops: the
 * moments mv = [m; v] (one tensor of 2n values) from the gradient, then θ from the new moments.
 * Returns the new θ and mv (fresh tensors; the caller assigns them).
 */
export function adamUpdate(
  backend: WebgpuBackend,
  theta: TensorInfo,
  grad: TensorInfo,
  mv: TensorInfo,
  step: AdamStep,
): { theta: TensorInfo; mv: TensorInfo } {
  const n = theta.shape.reduce((a, b) => a * b, 1);
  const constants: ProgramUniform[] = [
    // 1-β computed here in float64: 1.0 - β2 in float32 is 5e-5 off for β2 = 0.999
    { type: 'float32', data: [step.beta1] },
    { type: 'float32', data: [1 - step.beta1] },
    { type: 'float32', data: [step.beta2] },
    { type: 'float32', data: [1 - step.beta2] },
  ];
  const moments = backend.runWebGPUProgram(
    perIndexProgram(
      'untangleAdamMoments',
      ['g', 'mv'],
      2 * n,
      [2 * n],
      `let n = uniforms.count / 2;
        if (i < n) {
          result[i] = uniforms.beta1 * mv[i] + uniforms.oneMinusBeta1 * g[i];
        } else {
          let gi = g[i - n];
          result[i] = uniforms.beta2 * mv[i] + uniforms.oneMinusBeta2 * gi * gi;
        }`,
      'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32,',
    ),
    [grad, mv],
    'float32',
    [{ type: 'int32', data: [2 * n] }, ...constants],
  );
  const updated = backend.runWebGPUProgram(
    perIndexProgram(
      'untangleAdamApply',
      ['theta', 'mv'],
      n,
      [...theta.shape],
      'result[i] = theta[i] - uniforms.lrT * mv[i] / (sqrt(mv[i + uniforms.count]) + uniforms.epsilon);',
      'lrT : f32, epsilon : f32,',
    ),
    [theta, moments],
    'float32',
    [
      { type: 'int32', data: [n] },
      { type: 'float32', data: [step.lrT] },
      { type: 'float32', data: [step.epsilon] },
    ],
  );
  return { theta: updated, mv: moments };
}

/**
 * adamUpdate on tfjs variables of the webgpu backend: θ and mv (= [m; v], 2n values) are replaced by
 * their updated values in place of the ~10 elementwise ops of the tensor form.
 */
export function adamStepVariables(
  theta: tf.Variable,
  grad: tf.Tensor,
  mv: tf.Variable,
  step: AdamStep,
): void {
  const backend = tf.backend() as unknown as WebgpuBackend;
  const out = adamUpdate(backend, theta, grad, mv, step);
  const engine = tf.engine();
  const [newTheta, newMv] = [
    engine.makeTensorFromTensorInfo(out.theta),
    engine.makeTensorFromTensorInfo(out.mv),
  ];
  theta.assign(newTheta);
  mv.assign(newMv);
  tf.dispose([newTheta, newMv]);
}
