import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../engine/rng.ts';
import type { StepContext } from '../models/model.ts';

/**
 * Per-example noise for one step: example i of the batch draws from its own stream seeded by
 * (stepSeed, i), so the noise an example gets does not depend on how the batch is split across workers.
 * `factors` are the slice's ground-truth factor rows, passed through to the loss.
 */
export function stepContext(
  step: number,
  stepSeed: number,
  firstExample: number,
  factors?: Int32Array,
): StepContext {
  const streams = new Map<number, Rng>();
  const stream = (example: number) => {
    let rng = streams.get(example);
    if (rng == null) {
      rng = new Rng(
        (Math.imul(stepSeed ^ 0x5bd1e995, 0x01000193) + Math.imul(example + 1, 0x9e3779b1)) >>> 0,
      );
      streams.set(example, rng);
    }
    return rng;
  };
  // batch-level draws (permutations) come from a stream of their own, tied to this slice of the batch
  const batchStream = new Rng(
    (Math.imul(stepSeed ^ 0x27d4eb2f, 0x85ebca6b) + Math.imul(firstExample + 1, 0xc2b2ae35)) >>> 0,
  );
  const perExample = (shape: number[], fill: (rng: Rng, out: Float32Array) => void) => {
    const rows = shape[0];
    const perRow = shape.slice(1).reduce((a, b) => a * b, 1);
    const values = new Float32Array(rows * perRow);
    for (let r = 0; r < rows; r++)
      fill(stream(firstExample + r), values.subarray(r * perRow, (r + 1) * perRow));
    return tf.tensor(values, shape);
  };
  return {
    step,
    factors,
    permutation(n: number) {
      return Int32Array.from(batchStream.shuffle(Array.from({ length: n }, (_, i) => i)));
    },
    normal: (shape) => perExample(shape, (rng, out) => rng.fillNormal(out)),
    uniform: (shape) => perExample(shape, (rng, out) => rng.fillUniform(out)),
  };
}
