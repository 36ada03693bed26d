import * as tf from '@tensorflow/tfjs-core';
import type { BatchSlice, TrainTask } from '../task.ts';
import { deviceUpdate } from './device.ts';
import { sharedMemoryUpdate } from './shared-memory.ts';
import type { UpdateStrategy } from './strategy.ts';

/** Backends whose tensors live on a device: reading them back each step would stall the pipeline. */
const DEVICE_BACKENDS = new Set(['webgpu', 'webgl']);

/** The strategy a run's config asks for; `auto`: device on webgpu/webgl, shared memory otherwise. */
export function updateStrategyName(
  update: 'auto' | 'shared-memory' | 'device',
  backend = tf.getBackend(),
): 'shared-memory' | 'device' {
  if (update !== 'auto') return update;
  return DEVICE_BACKENDS.has(backend) ? 'device' : 'shared-memory';
}

export async function createUpdate<S extends BatchSlice>(task: TrainTask<S>): Promise<UpdateStrategy<S>> {
  const { update, threads } = task.config;
  return updateStrategyName(update) === 'device' ? deviceUpdate(task) : sharedMemoryUpdate(task, threads);
}
