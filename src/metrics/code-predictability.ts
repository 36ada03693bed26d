import * as tf from '@tensorflow/tfjs-core';
import type { HeldOutImages, SplitImageData } from '../data/held-out.ts';
import type { Model } from '../models/model.ts';
import { accuracy, fitLogistic } from './logistic-regression.ts';

/** How well a factor is read off the codes, against always guessing its most common value. */
export interface Predictability {
  accuracy: number;
  /** the held-out share of the factor's most common value */
  chance: number;
}

/**
 * What the semi-supervised and fair VAEs are judged by, on data with a held-out split (mnist-semi,
 * mnist-sensitive): per factor, the held-out accuracy of a multinomial logistic regression (scikit-
 * learn's defaults, C = 1) fitted on the training images' mean codes — for the fair VAE, how well s can
 * be predicted (lower is fairer) and the downstream task (label); and for a model that infers its
 * conditional factor (the semi-supervised VAE's q(y|x)), the held-out accuracy of its argmax.
 */
export interface HeldOutReport {
  trainPoints: number;
  testPoints: number;
  /** by factor name; factors constant on the held-out images (mnist-semi's `labelled`) are left out */
  codePredictability: Record<string, Predictability>;
  classifier?: Predictability & { factor: string };
  /** mnist-semi: the digits whose labels training could read (indices into the 10,000) */
  labelledIndices?: number[];
}

export function heldOutReport(model: Model, data: SplitImageData): HeldOutReport {
  const { training, heldOut } = data;
  const shape = data.observationShape;
  const k = data.factorNames.length;
  const trainCodes = meanCodes(model, training, shape);
  const testCodes = meanCodes(model, heldOut, shape);
  const column = (images: HeldOutImages, j: number) =>
    Int32Array.from({ length: images.count }, (_, i) => images.factors[i * k + j]);
  const codePredictability: Record<string, Predictability> = {};
  data.factorNames.forEach((name, j) => {
    const trainLabels = column(training, j);
    const testLabels = column(heldOut, j);
    if (new Set(testLabels).size < 2) return;
    const fit = fitLogistic(trainCodes, trainLabels, model.latentDim);
    codePredictability[name] = {
      accuracy: accuracy(fit, testCodes, testLabels),
      chance: majorityShare(testLabels),
    };
  });
  const report: HeldOutReport = {
    trainPoints: training.count,
    testPoints: heldOut.count,
    codePredictability,
  };
  const conditional = model.conditional;
  const factor = conditional ? data.factorNames.indexOf(conditional.factor) : -1;
  if (conditional?.infer && factor >= 0) {
    const truth = column(heldOut, factor);
    const guesses = inferArgmax(model, heldOut, shape);
    const correct = guesses.reduce((n, g, i) => n + (g === truth[i] ? 1 : 0), 0);
    report.classifier = {
      factor: conditional.factor,
      accuracy: correct / heldOut.count,
      chance: majorityShare(truth),
    };
  }
  const labelled = (data as { labelledIndices?: Int32Array }).labelledIndices;
  if (labelled) report.labelledIndices = Array.from(labelled);
  return report;
}

function batches(
  images: HeldOutImages,
  shape: readonly number[],
  each: (x: tf.Tensor4D, start: number) => void,
) {
  const pixels = shape[0] * shape[1] * shape[2];
  for (let start = 0; start < images.count; start += 256) {
    const n = Math.min(256, images.count - start);
    tf.tidy(() =>
      each(
        tf.tensor4d(images.x.subarray(start * pixels, (start + n) * pixels), [
          n,
          shape[0],
          shape[1],
          shape[2],
        ]),
        start,
      ),
    );
  }
}

/** Posterior means, float64 [count, latentDim]. */
function meanCodes(model: Model, images: HeldOutImages, shape: readonly number[]): Float64Array {
  const out = new Float64Array(images.count * model.latentDim);
  batches(images, shape, (x, start) => {
    out.set(model.encode(x).mean.dataSync(), start * model.latentDim);
  });
  return out;
}

function inferArgmax(model: Model, images: HeldOutImages, shape: readonly number[]): Int32Array {
  const out = new Int32Array(images.count);
  batches(images, shape, (x, start) => {
    out.set(tf.argMax(model.conditional!.infer!(x), 1).dataSync(), start);
  });
  return out;
}

function majorityShare(labels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}
