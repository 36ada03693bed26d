import { isSequenceConfig, type RunConfig } from '../run/config.ts';
import type { TaskReplica } from './task.ts';
import { imageReplica } from './tasks/image.ts';
import { sequenceReplica } from './tasks/sequence.ts';

/** A worker thread's copy of a run's model and losses, built from the config alone (no data loaded). */
export function buildReplica(config: RunConfig): TaskReplica<never> {
  return (isSequenceConfig(config) ? sequenceReplica(config) : imageReplica(config)) as TaskReplica<never>;
}
