import type { OptimizerSlots } from '../../run/checkpoint.ts';
import type { BatchSlice, WeightAccess } from '../task.ts';

/** The loss terms of one objective at one step, on the host. */
export interface ObjectiveLoss {
  total: number;
  terms: Record<string, number>;
  klPerDim?: Float32Array;
}

/**
 * How a run's weights are updated, one per kind of engine, behind one interface so the trainer loop is
 * the same for all:
 * - `shared-memory` (wasm, cpu): weights and Adam on the host in one flat float32 array on a
 *   SharedArrayBuffer, gradients read back every step and averaged over worker threads.
 * - `device` (webgpu; any backend in tests): weights, Adam's m and v and the update stay on the backend
 *   as tensors; losses are read asynchronously only when asked for, weights only for checkpoints.
 * Each restores bit-exactly from the checkpoint format of src/run/checkpoint.ts.
 */
export interface UpdateStrategy<S extends BatchSlice = BatchSlice> extends WeightAccess {
  readonly name: 'shared-memory' | 'device';
  /** one optimizer step of every objective, in order, on the batch */
  step(step: number, stepSeed: number, batch: S): Promise<void>;
  /** the last step's losses, one per objective (a device read: call it every logEvery steps, not each step) */
  losses(): Promise<ObjectiveLoss[]>;
  /** each objective's optimizer state, as checkpoints store it */
  optimizers(): OptimizerSlots[];
  /** makes the model's tfjs variables hold the current weights (before a checkpoint or pictures) */
  syncModel(): Promise<void>;
  /** takes the model's tfjs variables as the weights (after a checkpoint was loaded into them) */
  loadFromModel(): void;
  close(): Promise<void>;
}

/** A step whose loss is NaN or infinite: training stops, the last checkpoint is kept. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
}

/** Throws NonFiniteLossError naming the objective and the 1-based step when a total is not finite. */
export function assertFinite(losses: readonly ObjectiveLoss[], names: readonly string[], step: number): void {
  losses.forEach((loss, k) => {
    if (!Number.isFinite(loss.total))
      throw new NonFiniteLossError(`loss of objective "${names[k]}" is ${loss.total} at step ${step}`);
  });
}
