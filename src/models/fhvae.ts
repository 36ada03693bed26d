import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import type { Utterance } from '../data/speech/corpus.ts';
import type { Rng } from '../engine/rng.ts';
import {
  initializeLstmNet,
  LSTM_NET_DEFAULTS,
  type LstmNetOptions,
  sequenceDecoder,
  z1Encoder,
  z2Encoder,
} from '../nets/lstm.ts';
import { decoderMean, gaussianPerElement, gaussianStats } from './decoder-output.ts';
import { defineModel } from './define.ts';
import { gatherSegments, type SegmentIndex, segmentIndex, segmentsOf } from './fhvae-segments.ts';
import type { AdamOptions, LossOutput, StepContext } from './model.ts';

/**
 * Factorized hierarchical VAE (Hsu, Zhang & Glass 2017; scalable training: Hsu & Glass 2018).
 * A sequence (utterance) i is cut into segments x^(i,n), n = 1..N_i. Each segment has a segment-level
 * latent z1 (content) and a sequence-level latent z2 (speaker, channel) whose prior is centred on the
 * sequence's own μ2:
 *   p(z1) = N(0, I),  p(z2 | μ2_i) = N(μ2_i, 0.5² I),  p(μ2_i) = N(0, I),  p(x | z1, z2) Gaussian per frame,
 *   q(z2 | x) and q(z1 | x, z2) Gaussian, μ2 a trainable table with one row per training sequence.
 * Per-segment variational lower bound: log p(x|z1,z2) − KL(q(z1|x,z2) ‖ p(z1)) − KL(q(z2|x) ‖ p(z2|μ2_i))
 * + log p(μ2_i) / N_i, plus the discriminative term α·log p(i | z2) with
 * p(i | z2) = softmax_j(−‖E[z2] − μ2_j‖² / (2·0.5²)) over the sequences in the table.
 */
export const fhvaeOptions = z
  .object({
    frames: z.number().int().positive().default(LSTM_NET_DEFAULTS.frames),
    units: z.number().int().positive().default(LSTM_NET_DEFAULTS.units),
    layers: z.number().int().positive().default(LSTM_NET_DEFAULTS.layers),
    z1Dim: z.number().int().positive().default(LSTM_NET_DEFAULTS.z1Dim),
    z2Dim: z.number().int().positive().default(LSTM_NET_DEFAULTS.z2Dim),
    /** weight of the discriminative term (the paper's α) */
    alpha: z.number().min(0).default(10),
  })
  .strict();
export type FhvaeOptions = z.infer<typeof fhvaeOptions>;

/** p(z1) = N(0, 1·I) */
export const Z1_PRIOR_VARIANCE = 1;
/** p(z2 | μ2) = N(μ2, 0.5²·I) */
export const Z2_PRIOR_VARIANCE = 0.25;
/** p(μ2) = N(0, 1·I) */
export const MU2_PRIOR_VARIANCE = 1;

const LOG_2PI = Math.log(2 * Math.PI);

export interface FhvaeNets {
  z2Encoder: tfl.LayersModel;
  z1Encoder: tfl.LayersModel;
  decoder: tfl.LayersModel;
  /** the μ2 table [sequences, z2Dim], an embedding layer so checkpoints and the browser read it as a net */
  mu2: tfl.LayersModel;
}

export interface Fhvae {
  kind: 'fhvae';
  options: FhvaeOptions;
  bins: number;
  /** rows of the μ2 table: training sequences */
  sequences: number;
  nets: FhvaeNets;
  /** the μ2 table variable [sequences, z2Dim] */
  table(): tf.Variable<tf.Rank.R2>;
  /** every trainable variable, in checkpoint order (the nets', then the table) */
  variables(): tf.Variable[];
}

export function createFhvae(options: FhvaeOptions, bins: number, sequences: number, rng: Rng): Fhvae {
  if (!Number.isInteger(sequences) || sequences < 1)
    throw new RangeError(`the μ2 table needs at least one training sequence, got ${sequences}`);
  const netOptions: LstmNetOptions = { ...options, bins };
  const nets: FhvaeNets = {
    z2Encoder: z2Encoder(netOptions),
    z1Encoder: z1Encoder(netOptions),
    decoder: sequenceDecoder(netOptions),
    mu2: tfl.sequential({
      name: 'mu2',
      layers: [
        tfl.layers.embedding({
          inputDim: sequences,
          outputDim: options.z2Dim,
          inputLength: 1,
          embeddingsInitializer: 'zeros',
          name: 'mu2_table',
        }),
      ],
    }),
  };
  initializeLstmNet(nets.z2Encoder, rng);
  initializeLstmNet(nets.z1Encoder, rng);
  initializeLstmNet(nets.decoder, rng);
  // the authors draw the table from N(0, 1), its prior
  const table = nets.mu2.weights[0];
  const init = tf.tensor2d(rng.fillNormal(new Float32Array(sequences * options.z2Dim)), [
    sequences,
    options.z2Dim,
  ]);
  table.write(init);
  init.dispose();
  const variables = () =>
    Object.values(nets).flatMap((net) =>
      net.trainableWeights.map((w: tfl.LayerVariable) => w.read() as tf.Variable),
    );
  return {
    kind: 'fhvae',
    options,
    bins,
    sequences,
    nets,
    table: () => table.read() as tf.Variable<tf.Rank.R2>,
    variables,
  };
}

/** A batch of training segments with the sequence each comes from. */
export interface SegmentBatch {
  /** [B, frames, bins] */
  x: tf.Tensor3D;
  /** the μ2 table row (training sequence) of each segment */
  rows: Int32Array;
  /** N: the number of training segments of that sequence */
  counts: Float32Array;
  /**
   * the table rows the discriminative softmax runs over (the round's sequences under hierarchical
   * sampling); absent: every row. Must include every row of `rows`.
   */
  active?: Int32Array;
}

/** Posterior statistics of a batch of segments; z1's are conditioned on E[z2] unless z2 is given. */
export function encodeSegments(
  model: Fhvae,
  x: tf.Tensor3D,
  z2?: tf.Tensor2D,
): { z2Mean: tf.Tensor2D; z2LogVar: tf.Tensor2D; z1Mean: tf.Tensor2D; z1LogVar: tf.Tensor2D } {
  return tf.tidy(() => {
    const [z2Mean, z2LogVar] = encoderStats(model.nets.z2Encoder.apply(x) as tf.Tensor2D);
    const stats = model.nets.z1Encoder.apply([x, z2 ?? z2Mean]) as tf.Tensor2D;
    const [z1Mean, z1LogVar] = encoderStats(stats);
    return { z2Mean, z2LogVar, z1Mean, z1LogVar };
  });
}

/** E[x | z1, z2]: the decoded frames' means [n, frames, bins]. */
export function decodeSegments(model: Fhvae, z1: tf.Tensor2D, z2: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(
    () =>
      decoderMean('gaussian', model.nets.decoder.apply(tf.concat([z1, z2], 1)) as tf.Tensor3D) as tf.Tensor3D,
  );
}

/** The loss of one batch: −(bound + α·discriminative), every term averaged over the batch's segments. */
export function fhvaeLoss(model: Fhvae, batch: SegmentBatch, ctx: StepContext): LossOutput {
  const { x, rows, counts, active } = batch;
  const n = x.shape[0];
  if (rows.length !== n || counts.length !== n)
    throw new RangeError(
      `a batch of ${n} segments needs ${n} rows and counts, got ${rows.length}, ${counts.length}`,
    );
  const { nets, bins, options } = model;
  // q(z2|x), then q(z1|x, z2) on a sample of z2, then p(x|z1, z2) on samples of both
  const [z2Mean, z2LogVar] = encoderStats(nets.z2Encoder.apply(x, { training: true }) as tf.Tensor2D);
  const z2 = reparameterize(z2Mean, z2LogVar, ctx);
  const [z1Mean, z1LogVar] = encoderStats(nets.z1Encoder.apply([x, z2], { training: true }) as tf.Tensor2D);
  const z1 = reparameterize(z1Mean, z1LogVar, ctx);
  const xStats = nets.decoder.apply(tf.concat([z1, z2], 1), { training: true }) as tf.Tensor3D;
  const xMean = tf.slice(xStats, [0, 0, 0], [-1, -1, bins]);
  const xLogVar = tf.slice(xStats, [0, 0, bins], [-1, -1, bins]);

  const table = model.table();
  const mu2 = gatherRows(table, rows);
  const perSegment = {
    reconstruction: tf.sum(gaussianPerElement(x, xMean, xLogVar), [1, 2]),
    klZ1: tf.sum(gaussianKl(z1Mean, z1LogVar, tf.zerosLike(z1Mean), Z1_PRIOR_VARIANCE), 1),
    klZ2: tf.sum(gaussianKl(z2Mean, z2LogVar, mu2, Z2_PRIOR_VARIANCE), 1),
    logPMu2: tf.div(tf.sum(logGaussian(mu2, MU2_PRIOR_VARIANCE), 1), tf.tensor1d(counts)),
    discriminative: discriminativeLogProb(z2Mean, mu2, active ? gatherRows(table, active) : table),
  };
  const terms = Object.fromEntries(
    Object.entries(perSegment).map(([name, t]) => [name, tf.mean(t) as tf.Scalar]),
  ) as Record<keyof typeof perSegment, tf.Scalar>;
  const lowerBound = tf.addN([
    tf.neg(terms.reconstruction),
    tf.neg(terms.klZ1),
    tf.neg(terms.klZ2),
    terms.logPMu2,
  ]) as tf.Scalar;
  const total = tf.neg(tf.add(lowerBound, tf.mul(options.alpha, terms.discriminative))) as tf.Scalar;
  return { total, terms: { ...terms, lowerBound } };
}

/**
 * log p(i | z2) = log softmax_j(−‖E[z2] − μ2_j‖² / (2σ²)) at the segment's own sequence, σ² = 0.25,
 * j over the rows of `candidates` (the authors' discriminative objective uses the posterior mean of z2).
 */
export function discriminativeLogProb(
  z2Mean: tf.Tensor2D,
  ownMu2: tf.Tensor2D,
  candidates: tf.Tensor2D,
): tf.Tensor1D {
  return tf.tidy(() => {
    const scale = -1 / (2 * Z2_PRIOR_VARIANCE);
    // ‖a − b‖² = ‖a‖² − 2a·b + ‖b‖², all pairs by one matmul (explicit transpose: fast on wasm)
    const cross = tf.matMul(z2Mean, tf.transpose(candidates));
    const distances = tf.add(
      tf.sub(tf.sum(tf.square(z2Mean), 1, true), tf.mul(2, cross)),
      tf.reshape(tf.sum(tf.square(candidates), 1), [1, -1]),
    );
    const logits = tf.mul(scale, distances);
    const own = tf.mul(scale, tf.sum(tf.square(tf.sub(z2Mean, ownMu2)), 1));
    // log-softmax by hand: the wasm backend has no LogSoftmax kernel
    return tf.sub(own, tf.reshape(tf.logSumExp(logits, 1), [-1])) as tf.Tensor1D;
  });
}

/** KL(N(mean, exp(logVar)) ‖ N(priorMean, priorVariance)) per dimension. */
export function gaussianKl(
  mean: tf.Tensor,
  logVar: tf.Tensor,
  priorMean: tf.Tensor,
  priorVariance: number,
): tf.Tensor {
  return tf.tidy(() =>
    tf.mul(
      0.5,
      tf.sub(
        tf.add(
          tf.div(tf.add(tf.exp(logVar), tf.square(tf.sub(mean, priorMean))), priorVariance),
          Math.log(priorVariance),
        ),
        tf.add(logVar, 1),
      ),
    ),
  );
}

/** log N(x; 0, variance·I) per dimension. */
function logGaussian(x: tf.Tensor, variance: number): tf.Tensor {
  return tf.tidy(() => tf.mul(-0.5, tf.add(LOG_2PI + Math.log(variance), tf.div(tf.square(x), variance))));
}

/** An encoder's [means, log-variances] of q(z|x), split. */
const encoderStats = (stats: tf.Tensor2D) => gaussianStats(stats) as [tf.Tensor2D, tf.Tensor2D];

function reparameterize(mean: tf.Tensor2D, logVar: tf.Tensor2D, ctx: StepContext): tf.Tensor2D {
  return tf.add(mean, tf.mul(tf.exp(tf.mul(logVar, 0.5)), ctx.normal(mean.shape))) as tf.Tensor2D;
}

/**
 * Rows of the table. Its gradient is tfjs's: an UnsortedSegmentSum, dTable[rows[b]] += dy[b], which
 * our kernels run on wasm (which has none) and on webgpu (in batch order, no atomics: deterministic).
 */
export function gatherRows(table: tf.Tensor2D, rows: Int32Array): tf.Tensor2D {
  return tf.tidy(() => tf.gather(table, tf.tensor1d(rows, 'int32')));
}

/** MAP estimate of μ2 from the sum of E[z2] over a sequence's n segments: Σ z2 / (n + σ²_z2/σ²_μ2). */
export function mapMu2(z2Sum: ArrayLike<number>, n: number): Float32Array {
  const denominator = n + Z2_PRIOR_VARIANCE / MU2_PRIOR_VARIANCE;
  return Float32Array.from(z2Sum, (v) => v / denominator);
}

/** Per-utterance codes: the s-vector (MAP μ2) and μ1 (the mean of E[z1] over its segments). */
export interface UtteranceCodes {
  /** [utterances, z2Dim] row-major */
  mu2: Float32Array;
  /** [utterances, z1Dim] row-major */
  mu1: Float32Array;
}

export interface EncodeOptions {
  /** segments per forward pass */
  batchSize?: number;
  /** frames between segment starts (default: the segment length, no overlap, as the authors evaluate) */
  shift?: number;
}

/**
 * s-vectors and μ1 of whole utterances, segments of many utterances packed into each batch. An
 * utterance shorter than a segment is padded by repeating its last frame.
 */
export async function encodeUtterances(
  model: Fhvae,
  utterances: readonly Utterance[],
  { batchSize = 256, shift = model.options.frames }: EncodeOptions = {},
): Promise<UtteranceCodes> {
  const index = segmentIndex(utterances, model.bins, { frames: model.options.frames, shift, mode: 'encode' });
  const { z1Sum, z2Sum } = await sumSegmentCodes(model, index, allSegments(index), batchSize);
  const { z1Dim, z2Dim } = model.options;
  const mu2 = new Float32Array(utterances.length * z2Dim);
  const mu1 = new Float32Array(utterances.length * z1Dim);
  for (let u = 0; u < utterances.length; u++) {
    const n = index.counts[u];
    mu2.set(mapMu2(z2Sum.subarray(u * z2Dim, (u + 1) * z2Dim), n), u * z2Dim);
    for (let j = 0; j < z1Dim; j++) mu1[u * z1Dim + j] = z1Sum[u * z1Dim + j] / n;
  }
  return { mu2, mu1 };
}

/**
 * MAP μ2 of some training sequences from their training segments under the current encoder: what
 * hierarchical sampling writes into the table rows of a round's sequences. Returns [sequences, z2Dim].
 */
export async function estimateMu2(
  model: Fhvae,
  index: SegmentIndex,
  sequences: Int32Array,
  batchSize = 256,
): Promise<Float32Array> {
  const segments = segmentsOf(index, sequences);
  const { z2Sum } = await sumSegmentCodes(model, index, segments, batchSize);
  const d = model.options.z2Dim;
  const out = new Float32Array(sequences.length * d);
  sequences.forEach((u, i) => {
    out.set(mapMu2(z2Sum.subarray(u * d, (u + 1) * d), index.counts[u]), i * d);
  });
  return out;
}

/** Writes the MAP μ2 (estimateMu2) of these sequences into their table rows; returns the table variable. */
export async function reestimateMu2Rows(
  model: Fhvae,
  index: SegmentIndex,
  sequences: Int32Array,
): Promise<tf.Variable> {
  const rows = await estimateMu2(model, index, sequences);
  const table = model.table();
  const values = ((await table.data()) as Float32Array).slice();
  const d = model.options.z2Dim;
  sequences.forEach((u, i) => {
    values.set(rows.subarray(i * d, (i + 1) * d), u * d);
  });
  tf.tidy(() => table.assign(tf.tensor2d(values, table.shape)));
  return table;
}

function allSegments(index: SegmentIndex): Int32Array {
  return Int32Array.from({ length: index.utterance.length }, (_, i) => i);
}

/** Σ E[z2] and Σ E[z1] per utterance of the index over the given segments (read back asynchronously). */
async function sumSegmentCodes(
  model: Fhvae,
  index: SegmentIndex,
  segments: Int32Array,
  batchSize: number,
): Promise<{ z1Sum: Float64Array; z2Sum: Float64Array }> {
  const { frames, z1Dim, z2Dim } = model.options;
  const z1Sum = new Float64Array(index.counts.length * z1Dim);
  const z2Sum = new Float64Array(index.counts.length * z2Dim);
  for (let first = 0; first < segments.length; first += batchSize) {
    const chunk = segments.subarray(first, Math.min(first + batchSize, segments.length));
    const x = tf.tensor3d(gatherSegments(index, chunk), [chunk.length, frames, model.bins]);
    const codes = encodeSegments(model, x);
    const [z2, z1] = await Promise.all([codes.z2Mean.data(), codes.z1Mean.data()]);
    tf.dispose([x, codes.z2Mean, codes.z2LogVar, codes.z1Mean, codes.z1LogVar]);
    chunk.forEach((seg, i) => {
      const u = index.utterance[seg];
      for (let j = 0; j < z2Dim; j++) z2Sum[u * z2Dim + j] += z2[i * z2Dim + j];
      for (let j = 0; j < z1Dim; j++) z1Sum[u * z1Dim + j] += z1[i * z1Dim + j];
    });
  }
  return { z1Sum, z2Sum };
}

/** What the FHVAE is built from besides its options: the corpus's sizes, the run's RNG and Adam. */
export interface FhvaeBuild {
  /** feature bins per frame */
  bins: number;
  /** training sequences: rows of the μ2 table */
  sequences: number;
  rng: Rng;
  optimizer: AdamOptions;
}

/** The FHVAE with its one objective: the loss over every net and the μ2 table, with its Adam. */
export interface TrainableFhvae extends Fhvae {
  objectives: [
    {
      name: 'fhvae';
      variables(): tf.Variable[];
      optimizer: AdamOptions;
      loss(batch: SegmentBatch, ctx: StepContext): LossOutput;
    },
  ];
}

/**
 * The FHVAE's definition. Its paper's settings are the defaults (`fhvaeOptions` here, the sequence
 * config's Adam and batch in src/run/config.ts), so its paper preset sets nothing.
 */
export const fhvae = defineModel({
  name: 'fhvae',
  description: 'FHVAE: segment-level z1 and sequence-level z2 with a per-sequence prior mean μ2 (speech)',
  options: fhvaeOptions,
  paper: {
    source:
      'Hsu, Zhang & Glass 2017 (NeurIPS), experimental setup: one LSTM layer of 256 cells per encoder and decoder, z1 and z2 of 32 dims, 20-frame segments, discriminative weight α = 10, Adam (lr 1e-3, β1 0.95, β2 0.999), 256 segments a batch; every one a default already',
    config: {},
  },
  latent: (options) => ({
    continuous: options.z1Dim + options.z2Dim,
    decoder: 'gaussian',
    groups: [
      {
        name: 'z1',
        dims: options.z1Dim,
        level: 'segment',
        priorMean: 'zero',
        priorVariance: Z1_PRIOR_VARIANCE,
      },
      {
        name: 'z2',
        dims: options.z2Dim,
        level: 'sequence',
        priorMean: 'sequence-table',
        priorVariance: Z2_PRIOR_VARIANCE,
      },
    ],
  }),
  create: (build: FhvaeBuild, options): TrainableFhvae => {
    const model = createFhvae(options, build.bins, build.sequences, build.rng);
    return {
      ...model,
      objectives: [
        {
          name: 'fhvae',
          variables: model.variables,
          optimizer: build.optimizer,
          loss: (batch, ctx) => fhvaeLoss(model, batch, ctx),
        },
      ],
    };
  },
});
