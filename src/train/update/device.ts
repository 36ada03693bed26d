import * as tf from '@tensorflow/tfjs-core';
import { adamStepVariables } from '../../engine/kernels/webgpu/adam.ts';
import { webgpuKernelsRegistered } from '../../engine/kernels/webgpu/register.ts';
import type { OptimizerSlots } from '../../run/checkpoint.ts';
import { prepareShard } from '../gradients.ts';
import { stepContext } from '../step-noise.ts';
import type { BatchSlice, TrainTask } from '../task.ts';
import { assertFinite, type ObjectiveLoss, type UpdateStrategy } from './strategy.ts';

/**
 * One objective's Adam on the backend: m and v as tensors beside the weights (TensorFlow's form, as
 * adam.ts). On webgpu with our kernels, each variable's m and v are one tensor [m; v] updated by the
 * fused WGSL Adam (one dispatch per variable, in place); elsewhere the update is tensor ops. Either way the
 * state reads and restores as [m_0, v_0, m_1, ...], the checkpoint format of every backend.
 */
class DeviceAdam implements OptimizerSlots {
  iterations = 0;
  /** fused: one [m; v] per variable; else m and v per variable */
  private slots: tf.Variable[];
  private readonly fused = tf.getBackend() === 'webgpu' && webgpuKernelsRegistered();

  constructor(
    private readonly variables: tf.Variable[],
    private readonly options: { learningRate: number; beta1: number; beta2: number; epsilon: number },
  ) {
    this.slots = variables.flatMap((v) =>
      this.fused
        ? [tf.variable(tf.zeros([2 * v.size]), false)]
        : [tf.variable(tf.zerosLike(v), false), tf.variable(tf.zerosLike(v), false)],
    );
  }

  /** θ -= lr_t·m/(√v + ε) with lr_t = lr·√(1−β2^t)/(1−β1^t); all on the backend, nothing read back. */
  apply(grads: tf.Tensor[]): void {
    const { learningRate, beta1, beta2, epsilon } = this.options;
    this.iterations += 1;
    const lrT = (learningRate * Math.sqrt(1 - beta2 ** this.iterations)) / (1 - beta1 ** this.iterations);
    if (this.fused) {
      this.variables.forEach((theta, i) => {
        adamStepVariables(theta, grads[i], this.slots[i], { lrT, beta1, beta2, epsilon });
      });
      return;
    }
    tf.tidy(() => {
      this.variables.forEach((theta, i) => {
        const [m, v] = [this.slots[2 * i], this.slots[2 * i + 1]];
        const g = grads[i];
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        theta.assign(tf.sub(theta, tf.div(tf.mul(m, lrT), tf.add(tf.sqrt(v), epsilon))));
      });
    });
  }

  async state(): Promise<Float32Array[]> {
    const read = await Promise.all(this.slots.map(async (s) => (await s.data()) as Float32Array));
    if (!this.fused) return read;
    return read.flatMap((mv) => [mv.subarray(0, mv.length / 2), mv.subarray(mv.length / 2)]);
  }

  restore(iterations: number, arrays: Float32Array[]): void {
    const expected = 2 * this.variables.length;
    if (arrays.length !== expected)
      throw new Error(`optimizer state holds ${arrays.length} arrays, the model needs ${expected}`);
    arrays.forEach((array, i) => {
      const size = this.variables[Math.floor(i / 2)].size;
      if (array.length !== size)
        throw new Error(`optimizer state array ${i} has ${array.length} values, expected ${size}`);
    });
    this.variables.forEach((_, i) => {
      const [m, v] = [arrays[2 * i], arrays[2 * i + 1]];
      if (this.fused) {
        const mv = new Float32Array(2 * m.length);
        mv.set(m);
        mv.set(v, m.length);
        tf.tidy(() => this.slots[i].assign(tf.tensor1d(mv)));
      } else {
        tf.tidy(() => this.slots[2 * i].assign(tf.tensor(m, this.slots[2 * i].shape)));
        tf.tidy(() => this.slots[2 * i + 1].assign(tf.tensor(v, this.slots[2 * i + 1].shape)));
      }
    });
    this.iterations = iterations;
  }

  resetMoments(variables: ReadonlySet<tf.Variable>): void {
    const perVariable = this.fused ? 1 : 2;
    this.variables.forEach((theta, i) => {
      if (!variables.has(theta)) return;
      for (const slot of this.slots.slice(perVariable * i, perVariable * (i + 1)))
        tf.tidy(() => slot.assign(tf.zerosLike(slot)));
    });
  }

  dispose(): void {
    tf.dispose(this.slots);
  }
}

/** The last step's losses of one objective, still on the backend. */
interface DeviceLoss {
  total: tf.Scalar;
  terms: Record<string, tf.Scalar>;
  klPerDim?: tf.Tensor;
}

/**
 * The on-device update (webgpu; on any backend in tests): the model's tfjs variables are the weights,
 * Adam's moments are tensors beside them and the update is tensor ops, so a step uploads its batch and
 * noise and reads nothing back. The last step's losses stay on the backend until `losses()` reads them
 * asynchronously (the trainer asks every logEvery steps and before a checkpoint); weights and moments
 * come back only when a checkpoint is written. The whole batch is one slice (no worker threads).
 */
export function deviceUpdate<S extends BatchSlice>(task: TrainTask<S>): UpdateStrategy<S> {
  const { model } = task;
  const adams = model.objectives.map((o) => new DeviceAdam(o.variables(), o.optimizer));
  const names = model.objectives.map((o) => o.name);
  let last: DeviceLoss[] = [];
  let lastStep = 0;
  const disposeLast = () => {
    for (const l of last)
      tf.dispose([l.total, ...Object.values(l.terms), ...(l.klPerDim ? [l.klPerDim] : [])]);
    last = [];
  };
  return {
    name: 'device',
    async step(step, stepSeed, batch) {
      disposeLast();
      lastStep = step + 1;
      for (const [k, objective] of model.objectives.entries()) {
        const prepared = await prepareShard(task, k, step, stepSeed, batch);
        const ctx = stepContext(step, stepSeed, batch.firstExample, batch.factors);
        let kept: Omit<DeviceLoss, 'total'> = { terms: {} };
        const { value, grads } = tf.variableGrads(() => {
          const out = task.loss(k, batch, ctx, prepared);
          kept = {
            terms: Object.fromEntries(Object.entries(out.terms).map(([n, t]) => [n, tf.keep(t)])),
            klPerDim: out.klPerDim && tf.keep(out.klPerDim),
          };
          return out.total;
        }, objective.variables());
        adams[k].apply(objective.variables().map((v) => grads[v.name]));
        tf.dispose(Object.values(grads));
        last.push({ total: value, ...kept });
      }
    },
    async losses() {
      const read: ObjectiveLoss[] = [];
      for (const l of last) {
        const terms: Record<string, number> = {};
        for (const [name, t] of Object.entries(l.terms)) terms[name] = (await t.data())[0];
        const klPerDim = l.klPerDim ? ((await l.klPerDim.data()) as Float32Array) : undefined;
        read.push({ total: (await l.total.data())[0], terms, klPerDim });
      }
      assertFinite(read, names, lastStep);
      return read;
    },
    optimizers: () => adams,
    async syncModel() {},
    loadFromModel() {},
    changed() {},
    resetMoments(variables) {
      const wanted = new Set(variables);
      for (const adam of adams) adam.resetMoments(wanted);
    },
    async close() {
      disposeLast();
      for (const adam of adams) adam.dispose();
    },
  };
}
