import * as tf from '@tensorflow/tfjs-core';
import type { SpeechCorpus } from '../../data/speech/corpus.ts';
import { Rng } from '../../engine/rng.ts';
import { InputError } from '../../io/input-error.ts';
import { fhvae as fhvaeDefinition, reestimateMu2Rows, type TrainableFhvae } from '../../models/fhvae.ts';
import { gatherSegments, type SegmentIndex, segmentIndex, segmentsOf } from '../../models/fhvae-segments.ts';
import { latentLayout } from '../../models/registry.ts';
import type { SequenceTrainConfig } from '../../run/config.ts';
import {
  type BatchSlice,
  sliceRanges,
  type TaskReplica,
  type TrainTask,
  type WeightAccess,
} from '../task.ts';

/** Segments drawn from a round's sequences: [n, frames, bins] features, their μ2 rows and segment counts. */
export interface SegmentSlice extends BatchSlice {
  x: Float32Array;
  rows: Int32Array;
  counts: Float32Array;
  /** the discriminative softmax's rows (the round's sequences); absent: all */
  active?: Int32Array;
}

/** The sequences a round trains on, and their segments. */
export interface Round {
  round: number;
  sequences: Int32Array;
  segments: Int32Array;
}

export interface SequenceTask extends TrainTask<SegmentSlice> {
  config: SequenceTrainConfig;
  fhvae: TrainableFhvae;
  /** training segments of the corpus's train utterances (table row = utterance position) */
  index: SegmentIndex;
  /** training sequences with at least one segment: what rounds sample from */
  eligible: Int32Array;
  /** whether the corpus is larger than a round (hierarchical sampling) */
  hierarchical: boolean;
  roundSteps: number;
}

/** The FHVAE and its loss, rebuilt from a config whose corpus sizes (bins, sequences) are filled in. */
export function sequenceReplica(config: SequenceTrainConfig, rng = new Rng(config.seed)) {
  const { learningRate, adamBeta1: beta1, adamBeta2: beta2, adamEpsilon: epsilon } = config;
  const optimizer = { learningRate, beta1, beta2, epsilon };
  const build = { bins: config.bins!, sequences: config.sequences!, rng, optimizer };
  const fhvae = fhvaeDefinition.create(build, config.modelOptions);
  const [objective] = fhvae.objectives;
  const replica: TaskReplica<SegmentSlice> = {
    model: { nets: { ...fhvae.nets }, objectives: fhvae.objectives },
    loss: (_, s, ctx) =>
      objective.loss({ ...s, x: tf.tensor3d(s.x, [s.size, fhvae.options.frames, fhvae.bins]) }, ctx),
  };
  return { ...replica, fhvae };
}

/** FHVAE training on a speech corpus: segment batches and hierarchical-sampling rounds (Hsu & Glass 2018). */
export function sequenceTask(config: SequenceTrainConfig, corpus: SpeechCorpus, rng: Rng): SequenceTask {
  const { frames } = config.modelOptions;
  const index = segmentIndex(corpus.train, corpus.bins, {
    frames,
    shift: config.segmentShift,
    mode: 'train',
  });
  const eligible = Int32Array.from(corpus.train.flatMap((_, u) => (index.counts[u] > 0 ? [u] : [])));
  if (eligible.length === 0)
    throw new InputError(
      `the corpus has no training utterance of at least ${frames} frames (one segment): nothing to train on`,
    );
  const replica = sequenceReplica(config, rng);
  const hierarchical = eligible.length > config.sequencesPerRound;
  const meanSegments = index.utterance.length / eligible.length;
  const roundSteps =
    config.roundSteps ??
    Math.max(1, Math.round((config.sequencesPerRound * meanSegments) / config.batchSize));
  const perExample = frames * corpus.bins;
  let round: Round;
  const task: SequenceTask = {
    ...replica,
    config,
    index,
    eligible,
    hierarchical,
    roundSteps,
    latent: latentLayout(config),
    label: 'train fhvae',
    rateKey: 'segPerSec',
    progressTerms: { loss: 'total', rec: 'reconstruction', dis: 'discriminative' },
    // mid-round on resume: the round's sequences again, its μ2 rows are in the checkpoint
    begin: (step) => {
      round = beginRound(task, hierarchical ? Math.floor(step / roundSteps) : 0);
    },
    beforeStep: async (step, weights) => {
      if (!hierarchical || step % roundSteps !== 0) return;
      round = beginRound(task, step / roundSteps);
      await reestimateRound(task, round, weights);
    },
    logFields: () => ({ round: round.round }),
    sampleBatch(batchRng) {
      const n = config.batchSize;
      const segments = Int32Array.from(
        { length: n },
        () => round.segments[batchRng.int(round.segments.length)],
      );
      const rows = Int32Array.from(segments, (s) => index.utterance[s]);
      const counts = Float32Array.from(rows, (u) => index.counts[u]);
      const active = round.sequences.length < config.sequences! ? round.sequences : undefined;
      return { x: gatherSegments(index, segments), rows, counts, active, size: n, firstExample: 0 };
    },
    split: (batch, parts) =>
      sliceRanges(batch.size, parts).map(([start, end]) => ({
        x: batch.x.subarray(start * perExample, end * perExample),
        rows: batch.rows.subarray(start, end),
        counts: batch.counts.subarray(start, end),
        active: batch.active,
        size: end - start,
        firstExample: batch.firstExample + start,
      })),
  };
  return task;
}

/**
 * The sequences of round r, drawn without replacement from a stream of their own (seeded by the run's
 * seed and r), so a resumed run finds the same round.
 */
export function beginRound(task: SequenceTask, round: number): Round {
  const { index, eligible, config } = task;
  if (!task.hierarchical) return { round: 0, sequences: eligible, segments: segmentsOf(index, eligible) };
  const rng = new Rng(
    (Math.imul(config.seed ^ 0x6a09e667, 0x9e3779b1) + Math.imul(round + 1, 0x85ebca6b)) >>> 0,
  );
  const pool = Array.from(eligible);
  const k = config.sequencesPerRound;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const sequences = Int32Array.from(pool.slice(0, k)).sort();
  return { round, sequences, segments: segmentsOf(index, sequences) };
}

/**
 * A new round's μ2 rows set to the MAP estimate under the current encoder (Hsu & Glass 2018), read
 * back asynchronously, and the table's Adam moments restarted.
 */
export async function reestimateRound(
  task: SequenceTask,
  round: Round,
  weights: WeightAccess,
): Promise<void> {
  const table = await reestimateMu2Rows(task.fhvae, task.index, round.sequences);
  weights.changed([table]);
  // the table's m and v: a row's history belongs to the round that estimated it
  weights.resetMoments([table]);
}
