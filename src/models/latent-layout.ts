/**
 * A model's latent space as its decoder and the explorer see it: training writes it into the run
 * folder as latent.json (src/run/latent-file.ts), and the server and the browser read that instead of
 * knowing each model's rules. Plain data and no imports, so the web app can import it too.
 */
export interface LatentLayout {
  /** the model's registry name */
  model: string;
  /** continuous dims: the first values of the decoder's input */
  continuous: number;
  /**
   * `gaussian`: the encoder gives [means, log-variances] of q(z|x); `deterministic`: the means half is
   * the code itself (the autoencoder), there is no posterior variance and no KL
   */
  code: 'gaussian' | 'deterministic';
  /** discrete latents, fed to the decoder one-hot after the continuous code, in this order */
  discrete: DiscreteLatent[];
  /**
   * p(x|z) (decoder-output.ts): `bernoulli`, the decoder outputs logits and an image is their sigmoid;
   * `gaussian`, a diagonal Gaussian per element, the decoder's last axis holds [means, log-variances]
   */
  decoder: DecoderDistribution;
  /**
   * how the continuous dims split, in decoder-input order, where they are not one group of every dim with
   * one value per example and an N(0, I) prior: a sequence model's segment-level z1 and sequence-level z2
   */
  groups?: LatentGroup[];
}

/** Some consecutive continuous dims with their own level and prior (the FHVAE's z1, z2). */
export interface LatentGroup {
  /** e.g. `z1` */
  name: string;
  dims: number;
  /** `segment`: one value per segment of a sequence; `sequence`: one per sequence, shared by its segments */
  level: 'segment' | 'sequence';
  /**
   * the prior's mean: `zero`, or `sequence-table`, the sequence's row of a trained table (the FHVAE's μ2,
   * one row per training sequence, itself with prior N(0, I))
   */
  priorMean: 'zero' | 'sequence-table';
  /** the prior's variance per dim */
  priorVariance: number;
}

export interface DiscreteLatent {
  /** categories */
  size: number;
  /**
   * how an image's category is found: `encoder`, the argmax of the logits the encoder outputs after
   * [means, log-variances] (JointVAE, the semi-supervised VAE); `reconstruction`, the category whose
   * decoding from the mean code reconstructs the image best under the decoder's distribution (CascadeVAE's
   * rule; the fair VAE's s, which is given in training and has no encoder output)
   */
  inferred: 'encoder' | 'reconstruction';
}

export const DECODER_DISTRIBUTIONS = ['bernoulli', 'gaussian'] as const;
export type DecoderDistribution = (typeof DECODER_DISTRIBUTIONS)[number];

/** Width of the decoder's input: the continuous code and a one-hot of each discrete latent. */
export function decoderInputWidth(layout: LatentLayout): number {
  return layout.continuous + layout.discrete.reduce((sum, d) => sum + d.size, 0);
}

/** Whether the layout is a sequence model's (a latent with one value per sequence): not decodable to an image. */
export function isSequenceLayout(layout: LatentLayout): boolean {
  return layout.groups?.some((g) => g.level === 'sequence') ?? false;
}

/** The latent explorer's slider range: this many standard deviations either side of the centre. */
export const RANGE_STDS = 4;

/**
 * The range [low, high] of each continuous dim that the explorer's sliders span: a Gaussian code ±4
 * prior standard deviations around 0 (p(z) = N(0, I)); a deterministic code has no prior, so its range
 * is the data's: the mean of `codes` (encoded images, each at least `continuous` long) ±4 of their
 * standard deviations per dim, or ±4 around 0 while fewer than two codes are known or a dim does not vary.
 */
export function continuousRanges(
  layout: LatentLayout,
  codes: ReadonlyArray<ArrayLike<number>> = [],
): Array<[number, number]> {
  return Array.from({ length: layout.continuous }, (_, d): [number, number] => {
    if (layout.code !== 'deterministic' || codes.length < 2) return [-RANGE_STDS, RANGE_STDS];
    const mean = codes.reduce((sum, c) => sum + c[d], 0) / codes.length;
    const variance = codes.reduce((sum, c) => sum + (c[d] - mean) ** 2, 0) / (codes.length - 1);
    const spread = RANGE_STDS * Math.sqrt(variance);
    return spread > 0 ? [mean - spread, mean + spread] : [mean - RANGE_STDS, mean + RANGE_STDS];
  });
}
