import * as tf from '@tensorflow/tfjs-core';
import { type GroundTruthData, sampleBatch } from '../../data/ground-truth.ts';
import { datasetOfConfig } from '../../data/registry.ts';
import { Rng } from '../../engine/rng.ts';
import type { Model } from '../../models/model.ts';
import { latentLayout } from '../../models/registry.ts';
import { buildModel } from '../../run/build-model.ts';
import type { TrainConfig } from '../../run/config.ts';
import { type BatchSlice, sliceRanges, type TaskReplica, type TrainTask } from '../task.ts';

/** A slice of an image batch: row-major [n, h, w, c] pixels and the examples' factors. */
export interface ImageSlice extends BatchSlice {
  x: Float32Array;
  shape: [number, number, number, number];
  factors: Int32Array;
}

export interface ImageTask extends TrainTask<ImageSlice> {
  config: TrainConfig;
  model: Model;
  data: GroundTruthData;
}

/** An image model's replica: its objectives' losses on a slice of pixels. */
export function imageReplica(
  config: TrainConfig,
  rng = new Rng(config.seed),
): TaskReplica<ImageSlice> & {
  model: Model;
  data: GroundTruthData;
} {
  const data = datasetOfConfig(config);
  const model = buildModel(config, data, rng);
  return {
    model,
    data,
    async prepare(k, slice, ctx) {
      const objective = model.objectives[k];
      if (objective.prepare == null) return undefined;
      const x = tf.tensor4d(slice.x, slice.shape);
      try {
        return await objective.prepare(x, ctx);
      } finally {
        x.dispose();
      }
    },
    loss: (k, slice, ctx, prepared) =>
      model.objectives[k].loss(tf.tensor4d(slice.x, slice.shape), ctx, prepared),
  };
}

/** Training an image model on a GroundTruthData: batches of `batchSize` observations and their factors. */
export function imageTask(config: TrainConfig, rng: Rng): ImageTask {
  const replica = imageReplica(config, rng);
  const [h, w, c] = replica.data.observationShape;
  const perExample = h * w * c;
  let batchArray: Float32Array | undefined;
  return {
    ...replica,
    config,
    latent: latentLayout(config),
    label: 'train',
    rateKey: 'imgPerSec',
    progressTerms: { loss: 'total', rec: 'reconstruction', kl: 'kl' },
    sampleBatch(batchRng) {
      // one batch array for the run: a step's batch is done with when its update resolves
      batchArray ??= new Float32Array(config.batchSize * perExample);
      const { x, factors } = sampleBatch(replica.data, config.batchSize, batchRng, batchArray);
      return { x, factors, shape: [config.batchSize, h, w, c], size: config.batchSize, firstExample: 0 };
    },
    split(batch, parts) {
      const k = batch.factors.length / batch.size;
      return sliceRanges(batch.size, parts).map(([start, end]) => ({
        x: batch.x.subarray(start * perExample, end * perExample),
        shape: [end - start, h, w, c],
        factors: batch.factors.subarray(start * k, end * k),
        size: end - start,
        firstExample: batch.firstExample + start,
      }));
    },
  };
}
