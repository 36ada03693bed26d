import { nativeAddon } from '../engine/kernels/native/addon.ts';
import type { AdamOptions } from '../models/model.ts';

/**
 * Adam (Kingma & Ba 2015) in TensorFlow's form, as disentanglement_lib trains:
 * lr_t = lr·sqrt(1-β2^t)/(1-β1^t); θ -= lr_t·m/(sqrt(v)+ε). It runs on plain arrays (the parameter
 * store), arithmetic in float64 and storage in float32, so its whole state (m, v, t) is plain data a
 * checkpoint restores bit-exactly, and an update costs one pass over the weights. Where the native addon
 * loads, the same arithmetic runs in C (optimizer.c), bit for bit.
 */
export class Adam {
  private step = 0;
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

  constructor(
    readonly sizes: readonly number[],
    readonly options: AdamOptions,
  ) {
    // on shared memory: data-parallel workers update their share of the variables in place
    this.m = sizes.map((n) => new Float32Array(new SharedArrayBuffer(4 * n)));
    this.v = sizes.map((n) => new Float32Array(new SharedArrayBuffer(4 * n)));
  }

  get iterations(): number {
    return this.step;
  }

  /** Updates params[i] in place with grads[i]. */
  apply(params: Float32Array[], grads: Float32Array[]): void {
    const constants = this.nextConstants();
    params.forEach((theta, k) => {
      adamStep(theta, grads[k], this.m[k], this.v[k], constants);
    });
  }

  /**
   * Counts a step and returns its constants [lr_t, β1, β2, ε, 1-β1, 1-β2], for adamStep on each
   * variable (where the variables are split over threads, worker-pool.ts).
   */
  nextConstants(): Float64Array {
    const { learningRate, beta1, beta2, epsilon } = this.options;
    this.step += 1;
    const lrT = (learningRate * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    return Float64Array.of(lrT, beta1, beta2, epsilon, 1 - beta1, 1 - beta2);
  }

  /** m and v of every variable, in order: [m_0, v_0, m_1, v_1, ...]. */
  state(): Float32Array[] {
    return this.m.flatMap((m, i) => [m, this.v[i]]);
  }

  restore(step: number, values: Float32Array[]): void {
    const slots = this.state();
    if (values.length !== slots.length) {
      throw new Error(`optimizer state holds ${values.length} arrays, the model needs ${slots.length}`);
    }
    slots.forEach((slot, i) => {
      if (values[i].length !== slot.length) {
        throw new Error(`optimizer state array ${i} has ${values[i].length} values, expected ${slot.length}`);
      }
      slot.set(values[i]);
    });
    this.step = step;
  }
}

/** One variable's Adam step in place, with a step's constants (Adam.nextConstants). */
export function adamStep(
  theta: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  constants: Float64Array,
): void {
  const addon = nativeAddon();
  if (addon) {
    addon.adam(theta, g, m, v, constants);
    return;
  }
  const [lrT, beta1, beta2, epsilon, a1, a2] = constants;
  for (let i = 0; i < theta.length; i++) {
    const mi = beta1 * m[i] + a1 * g[i];
    const vi = beta2 * v[i] + a2 * g[i] * g[i];
    m[i] = mi;
    v[i] = vi;
    theta[i] -= (lrT * mi) / (Math.sqrt(vi) + epsilon);
  }
}
