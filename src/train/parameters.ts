import * as tf from '@tensorflow/tfjs-core';
import type { TrainableModel } from './task.ts';

/**
 * Every weight of a model in one flat float32 array — the optimizers' source of truth, shared with
 * data-parallel workers without copying (it lives on a SharedArrayBuffer). Variables are laid out by
 * net (in `model.nets` order) and by layer; after an update the changed ones are written back to tfjs.
 */
export class ParameterStore {
  readonly flat: Float32Array;
  readonly variables: tf.Variable[];
  readonly offsets: number[];
  readonly sizes: number[];

  constructor(model: Pick<TrainableModel, 'nets'>, buffer?: SharedArrayBuffer) {
    this.variables = Object.values(model.nets).flatMap((net) =>
      net.weights.map((w) => w.read() as tf.Variable),
    );
    this.sizes = this.variables.map((v) => v.size);
    this.offsets = [];
    let total = 0;
    for (const size of this.sizes) {
      this.offsets.push(total);
      total += size;
    }
    this.flat = new Float32Array(buffer ?? new SharedArrayBuffer(4 * total));
    if (this.flat.length !== total)
      throw new Error(`parameter buffer holds ${this.flat.length} values, the model ${total}`);
    if (buffer == null) this.readFromModel();
  }

  /** Store positions of some of the model's variables (an objective's), by identity. */
  indicesOf(variables: tf.Variable[]): number[] {
    return variables.map((v) => {
      const i = this.variables.indexOf(v);
      if (i < 0) throw new Error(`variable ${v.name} is not a weight of the model's nets`);
      return i;
    });
  }

  view(i: number): Float32Array {
    return this.viewOf(this.flat, i);
  }

  /** Variable i's part of any array laid out as the store (a thread's gradients). */
  viewOf(flat: Float32Array, i: number): Float32Array {
    return flat.subarray(this.offsets[i], this.offsets[i] + this.sizes[i]);
  }

  /** Copies the tfjs variables' values into the store (after loading a checkpoint). */
  readFromModel(): void {
    this.variables.forEach((v, i) => {
      this.view(i).set(v.dataSync() as Float32Array);
    });
  }

  /** Writes store values into the tfjs variables (all, or the given indices). */
  writeToModel(indices: readonly number[] = this.variables.map((_, i) => i)): void {
    for (const i of indices) {
      const value = tf.tensor(this.view(i), this.variables[i].shape);
      this.variables[i].assign(value);
      value.dispose();
    }
  }
}
