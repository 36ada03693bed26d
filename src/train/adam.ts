import * as tf from '@tensorflow/tfjs-core';
import type { AdamOptions } from '../models/model.ts';

/**
 * Adam (Kingma & Ba 2015) in TensorFlow's form, as disentanglement_lib trains:
 * lr_t = lr·sqrt(1-β2^t)/(1-β1^t); θ -= lr_t·m/(sqrt(v)+ε). Written here rather than taken from tfjs so
 * the whole state (m, v, t) is plain data a checkpoint restores bit-exactly, with the bias correction
 * computed in float64.
 */
export class Adam {
  readonly options: AdamOptions;
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    readonly variables: tf.Variable[],
    options: AdamOptions,
  ) {
    this.options = options;
    this.m = variables.map((x) => tf.variable(tf.zerosLike(x), false));
    this.v = variables.map((x) => tf.variable(tf.zerosLike(x), false));
  }

  get iterations(): number {
    return this.step;
  }

  /** grads[i] belongs to variables[i]. */
  apply(grads: tf.Tensor[]): void {
    const { learningRate, beta1, beta2, epsilon } = this.options;
    this.step += 1;
    const lrT = (learningRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    tf.tidy(() => {
      this.variables.forEach((x, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(beta1, this.m[i]), tf.mul(1 - beta1, g));
        const v = tf.add(tf.mul(beta2, this.v[i]), tf.mul(1 - beta2, tf.square(g)));
        this.m[i].assign(m);
        this.v[i].assign(v);
        x.assign(tf.sub(x, tf.mul(lrT, tf.div(m, tf.add(tf.sqrt(v), epsilon)))));
      });
    });
  }

  /** m and v of every variable, in order: [m_0, v_0, m_1, v_1, ...]. */
  stateTensors(): tf.Variable[] {
    return this.m.flatMap((m, i) => [m, this.v[i]]);
  }

  restore(step: number, values: Float32Array[]): void {
    const slots = this.stateTensors();
    if (values.length !== slots.length) {
      throw new Error(`optimizer state holds ${values.length} arrays, the model needs ${slots.length}`);
    }
    slots.forEach((slot, i) => {
      if (values[i].length !== slot.size)
        throw new Error(`optimizer state array ${i} has ${values[i].length} values, expected ${slot.size}`);
      const value = tf.tensor(values[i], slot.shape);
      slot.assign(value);
      value.dispose();
    });
    this.step = step;
  }
}
