import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** What a loss may draw at one training step: noise from the run's seeded RNG. */
export interface StepContext {
  step: number;
  /** Standard normal noise; row i belongs to example i of the batch. */
  normal(shape: number[]): tf.Tensor;
  /** Uniform noise in [0, 1); row i belongs to example i of the batch (Gumbel-softmax draws). */
  uniform(shape: number[]): tf.Tensor;
  /** A uniformly random permutation of 0..n-1 (a fresh one per call), drawn for the whole batch. */
  permutation(n: number): Int32Array;
  /**
   * The ground-truth factors of this slice's examples, row-major [n, numFactors] in the data's factor
   * order (labels, a sensitive attribute): drawn with the batch, split with it across workers.
   */
  factors?: Int32Array;
}

export interface LossOutput {
  total: tf.Scalar;
  /** Every term by the paper's name, for logs and tests. */
  terms: Record<string, tf.Scalar>;
  /** KL(q(z_d|x) || p(z_d)) per latent dim, averaged over the batch. */
  klPerDim?: tf.Tensor1D;
}

export interface AdamOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/**
 * One optimised objective: a loss over some variables, with its own Adam. A model with an adversary
 * (FactorVAE) declares two; the trainer steps them in order and knows nothing else about the model.
 */
export interface Objective {
  name: string;
  variables(): tf.Variable[];
  optimizer: AdamOptions;
  /**
   * What the step's loss needs read back from the backend first (CascadeVAE's category assignment),
   * awaited before the gradient, so nothing inside the gradient reads synchronously (the GPU cannot).
   * Its `ctx` is a fresh copy of the loss's: the same draws. The result is the loss's `prepared`.
   */
  prepare?(x: tf.Tensor4D, ctx: StepContext): Promise<unknown>;
  loss(x: tf.Tensor4D, ctx: StepContext, prepared?: unknown): LossOutput;
}

export interface Model {
  /** registry name, e.g. `beta-vae` */
  kind: string;
  latentDim: number;
  /** the nets saved in checkpoints, by name */
  nets: Record<string, tfl.LayersModel>;
  objectives: Objective[];
  /**
   * true when a loss on a batch is not the mean of its losses on slices of it (a minibatch q(z),
   * a permuted batch, batch covariances or MMD): such a model trains unsharded at any `threads`
   */
  batchCoupled?: boolean;
  /** posterior mean and log-variance of z given x */
  encode(x: tf.Tensor4D): { mean: tf.Tensor2D; logVar: tf.Tensor2D };
  /** decoded images in [0, 1] (Bernoulli means); a model with discrete latents decodes their first category */
  decode(z: tf.Tensor2D): tf.Tensor4D;
  /** the discrete latents of a model that has some (JointVAE, CascadeVAE) */
  discrete?: DiscreteLatents;
  /** a factor of the data the decoder is conditioned on (the semi-supervised VAE's y, the fair VAE's s) */
  conditional?: ConditionalFactor;
}

/** p(x | z, f) for a factor f the model is told in training; pictures hold f fixed across a row. */
export interface ConditionalFactor {
  /** the data's factor name, e.g. `label` or `s` */
  factor: string;
  /** its number of values */
  size: number;
  /** decoded images of codes z [n, latentDim] with f given as one-hot rows [n, size] */
  decode(z: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor4D;
  /** q(f | x) [n, size], when the model infers f (the semi-supervised VAE's classifier) */
  infer?(x: tf.Tensor4D): tf.Tensor2D;
}

export interface DiscreteLatents {
  /** categories of each discrete latent */
  sizes: number[];
  /** q(c|x): per example the category probabilities of each latent, side by side [n, Σ sizes] */
  encode(x: tf.Tensor4D): tf.Tensor2D;
  /** decoded images of continuous codes z [n, latentDim] with the given one-hot codes [n, Σ sizes] */
  decode(z: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor4D;
}
