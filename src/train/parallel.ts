import type { BatchSlice, ShardResult } from './gradients.ts';

/** Data-parallel gradient workers: each computes a slice of the batch, results are averaged. */
export interface GradientWorkers {
  gradients(objective: number, step: number, stepSeed: number, batch: BatchSlice): Promise<ShardResult>;
  close(): Promise<void>;
}
