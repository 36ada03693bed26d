import type { GroundTruthData } from '../data/ground-truth.ts';
import type { SpeechCorpus } from '../data/speech/corpus.ts';
import { Rng } from '../engine/rng.ts';
import type { Model } from '../models/model.ts';
import { resolveSequenceConfig, type SequenceTrainConfig, type TrainConfig } from '../run/config.ts';
import { type ImageSlice, type ImageTask, imageTask } from './tasks/image.ts';
import { type SegmentSlice, type SequenceTask, sequenceTask } from './tasks/sequence.ts';
import type { Session } from './trainer.ts';

/** An image run: its task, and the task's config, model and data at hand. */
export interface ImageSession extends Session<ImageSlice> {
  task: ImageTask;
  config: TrainConfig;
  model: Model;
  data: GroundTruthData;
}

export interface SequenceSession extends Session<SegmentSlice> {
  task: SequenceTask;
}

/** Builds an image run from its resolved config; the same config always builds the same initial state. */
export function buildSession(config: TrainConfig): ImageSession {
  const rng = new Rng(config.seed);
  const task = imageTask(config, rng);
  return { task, rng, config: task.config, model: task.model, data: task.data };
}

/** Builds an FHVAE run on a speech corpus (the config's corpus sizes are filled in, or checked). */
export function buildSequenceSession(config: SequenceTrainConfig, corpus: SpeechCorpus): SequenceSession {
  const rng = new Rng(config.seed);
  return { task: sequenceTask(resolveSequenceConfig(config, corpus), corpus, rng), rng };
}
