import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { bernoulliNll } from '../engine/fused-ops.ts';
import { InputError } from '../io/input-error.ts';
import { defineModel } from './define.ts';
import { gaussianKlPerDim, type ModelBuild, reparameterize, vaeVariables } from './gaussian-vae.ts';
import type { Model, StepContext } from './model.ts';

/**
 * The semi-supervised VAE M2 (Kingma, Rezende, Mohamed & Welling 2014): the code splits into a
 * continuous style z (z^X) and a class y (z^Y); p(x | y, z) p(y) p(z), p(y) uniform, p(z) = N(0, I).
 * Our inference model is the mean-field q(z|x) q(y|x), one encoder giving [μ, log σ², logits of y]
 * (the paper's q(z|x,y) also reads y). Per example (Eq. 6–9):
 *   labelled (x, y):  L(x,y) = −log p(x|y,z) + KL(q(z|x) ‖ p(z)) − log p(y),  plus α·(−log q(y|x))
 *   unlabelled x:     U(x)   = Σ_y q(y|x) (−log p(x|y,z)) + KL(q(z|x) ‖ p(z)) + KL(q(y|x) ‖ p(y))
 * with one z sample shared by every y of the sum. Which examples are labelled comes from the batch's
 * factors (mnist-semi: `label` and `labelled`); an unlabelled example's label is never read.
 */
export const semiSupervisedVaeOptions = z
  .object({
    classes: z.number().int().min(2).default(10),
    /** weight of the classification loss on labelled examples (Eq. 9) */
    alpha: z.number().nonnegative().default(50),
    labelFactor: z.string().default('label'),
    /** the factor that is 1 where the label is observed; a dataset without it has every label observed */
    labelledFactor: z.string().default('labelled'),
  })
  .strict();
export type SemiSupervisedVaeOptions = z.infer<typeof semiSupervisedVaeOptions>;

const EPS = 1e-12;

/** Per example: observed label (or −1) from the slice's factor rows. */
export function observedLabels(
  ctx: StepContext,
  n: number,
  columns: { label: number; labelled: number; width: number },
): Int32Array {
  const { factors } = ctx;
  if (factors == null || factors.length !== n * columns.width) {
    throw new Error(
      `semi-supervised-vae: the loss needs the batch's factors (${columns.width} per example) in its step context`,
    );
  }
  return Int32Array.from({ length: n }, (_, i) => {
    const row = i * columns.width;
    const observed = columns.labelled < 0 || factors[row + columns.labelled] === 1;
    return observed ? factors[row + columns.label] : -1;
  });
}

/**
 * The M2 terms from per-example quantities: reconstruction[i][y] = −log p(x_i | y, z_i), q [n, K],
 * klZ [n] and the observed labels (−1: unlabelled). Returns per-example bounds and the batch terms.
 */
export function m2Terms(
  reconstruction: tf.Tensor2D,
  q: tf.Tensor2D,
  klZ: tf.Tensor1D,
  labels: Int32Array,
  alpha: number,
) {
  return tf.tidy(() => {
    const [n, k] = q.shape;
    const labelled = Float32Array.from(labels, (y) => (y >= 0 ? 1 : 0));
    const isLabelled = tf.tensor1d(labelled);
    const isUnlabelled = tf.sub(1, isLabelled);
    const oneHot = tf
      .oneHot(
        tf.tensor1d(
          Int32Array.from(labels, (y) => Math.max(y, 0)),
          'int32',
        ),
        k,
      )
      .toFloat();
    const logPrior = Math.log(k);
    // labelled: −log p(x|y,z) at the observed y
    const reconstructionAtLabel = tf.sum(tf.mul(oneHot, reconstruction), 1);
    const labelledBound = tf.add(tf.add(reconstructionAtLabel, klZ), logPrior);
    const classification = tf.neg(tf.sum(tf.mul(oneHot, tf.log(tf.add(q, EPS))), 1));
    // unlabelled: the expectation over q(y|x) of the labelled bound, plus the entropy term
    const expectedReconstruction = tf.sum(tf.mul(q, reconstruction), 1);
    const klClass = tf.add(tf.sum(tf.mul(q, tf.log(tf.add(q, EPS))), 1), logPrior);
    const unlabelledBound = tf.addN([expectedReconstruction, klZ, klClass]);
    const perExample = tf.add(
      tf.mul(isLabelled, tf.add(labelledBound, tf.mul(alpha, classification))),
      tf.mul(isUnlabelled, unlabelledBound),
    );
    const labelledCount = labelled.reduce((a, b) => a + b, 0);
    const meanOver = (t: tf.Tensor, mask: tf.Tensor, count: number) =>
      tf.div(tf.sum(tf.mul(t, mask)), Math.max(count, 1)) as tf.Scalar;
    const bound = tf.add(tf.mul(isLabelled, labelledBound), tf.mul(isUnlabelled, unlabelledBound));
    const correct = tf.cast(tf.equal(tf.argMax(q, 1), tf.argMax(oneHot, 1)), 'float32');
    return {
      total: tf.mean(perExample) as tf.Scalar,
      terms: {
        reconstruction: tf.mean(
          tf.add(tf.mul(isLabelled, reconstructionAtLabel), tf.mul(isUnlabelled, expectedReconstruction)),
        ) as tf.Scalar,
        kl: tf.mean(klZ) as tf.Scalar,
        klClass: meanOver(klClass, isUnlabelled, n - labelledCount),
        classification: meanOver(classification, isLabelled, labelledCount),
        labelledAccuracy: meanOver(correct, isLabelled, labelledCount),
        labelledShare: tf.scalar(labelledCount / n),
        elbo: tf.neg(tf.mean(bound)) as tf.Scalar,
      },
    };
  });
}

export function createSemiSupervisedVae(build: ModelBuild, options: SemiSupervisedVaeOptions): Model {
  const { nets, latentDim } = build;
  const k = options.classes;
  const names = build.factors?.names ?? [];
  const label = names.indexOf(options.labelFactor);
  if (build.factors != null && label < 0) {
    throw new InputError(
      `semi-supervised-vae needs a dataset with a "${options.labelFactor}" factor (e.g. mnist-semi, mnist); this one has ${names.join(', ')}`,
    );
  }
  if (build.factors != null && build.factors.sizes[label] !== k) {
    throw new InputError(
      `semi-supervised-vae: the dataset's ${options.labelFactor} has ${build.factors.sizes[label]} values, the model ${k} classes (set classes=${build.factors.sizes[label]})`,
    );
  }
  const columns = { label, labelled: names.indexOf(options.labelledFactor), width: names.length };

  const encodeAll = (x: tf.Tensor4D) =>
    tf.tidy(() => {
      const stats = nets.encoder.apply(x, { training: true }) as tf.Tensor2D;
      const [mean, logVar, logits] = tf.split(stats, [latentDim, latentDim, k], 1) as tf.Tensor2D[];
      return { mean, logVar, q: tf.softmax(logits) as tf.Tensor2D };
    });
  const decodeWith = (code: tf.Tensor2D, oneHot: tf.Tensor2D) =>
    tf.tidy(() => tf.sigmoid(nets.decoder.apply(tf.concat([code, oneHot], 1)) as tf.Tensor4D));

  const loss = (x: tf.Tensor4D, ctx: StepContext) => {
    const n = x.shape[0];
    const labels = observedLabels(ctx, n, columns);
    const { mean, logVar, q } = encodeAll(x);
    const code = reparameterize(mean, logVar, ctx);
    // every (example, class) pair: rows i·K + y decode [z_i, one-hot(y)]
    const tiled = tf.reshape(tf.tile(code, [1, k]), [n * k, latentDim]);
    const classes = tf.tile(tf.eye(k), [n, 1]);
    const logits = nets.decoder.apply(tf.concat([tiled, classes], 1), { training: true }) as tf.Tensor4D;
    const targets = tf.reshape(tf.tile(tf.reshape(x, [n, 1, -1]), [1, k, 1]), [n, k, -1]);
    const flat = tf.reshape(logits, [n, k, -1]);
    // −log p(x|y,z) of a Bernoulli decoder, summed over pixels
    const perPixel = bernoulliNll(flat, targets);
    const reconstruction = tf.sum(perPixel, 2) as tf.Tensor2D;
    const klPerExample = tf.sum(
      tf.mul(0.5, tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(logVar, 1))),
      1,
    ) as tf.Tensor1D;
    const out = m2Terms(reconstruction, q, klPerExample, labels, options.alpha);
    return { ...out, klPerDim: gaussianKlPerDim(mean, logVar) };
  };

  const classify = (x: tf.Tensor4D) => tf.tidy(() => encodeAll(x).q);
  const firstClass = (n: number) =>
    tf.tidy(() => tf.oneHot(tf.zeros([n], 'int32') as tf.Tensor1D, k).toFloat());
  return {
    kind: 'semi-supervised-vae',
    latentDim,
    nets: { encoder: nets.encoder, decoder: nets.decoder },
    objectives: [{ name: 'vae', optimizer: build.optimizer, variables: vaeVariables(nets), loss }],
    encode: (x) =>
      tf.tidy(() => {
        const { mean, logVar } = encodeAll(x);
        return { mean, logVar };
      }),
    decode: (code) => tf.tidy(() => decodeWith(code, firstClass(code.shape[0]) as tf.Tensor2D)),
    discrete: { sizes: [k], encode: classify, decode: decodeWith },
    conditional: { factor: options.labelFactor, size: k, decode: decodeWith, infer: classify },
  };
}

export const semiSupervisedVae = defineModel({
  name: 'semi-supervised-vae',
  description:
    'semi-supervised VAE M2 (Kingma et al. 2014): style z and class y, labels observed for some examples (mnist-semi)',
  options: semiSupervisedVaeOptions,
  latent: (options) => ({ discrete: [{ size: options.classes, inferred: 'encoder' }] }),
  create: createSemiSupervisedVae,
});
