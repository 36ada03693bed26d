import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../src/engine/rng.ts';

/** UnsortedSegmentSum cases: repeated ids (3 and 4 rows into one segment), ids out of range, rank 3. */
export const SEGMENT_SUM_CASES = [
  { shape: [7, 3], ids: [4, 0, 4, 2, 4, -1, 4], segments: 5 },
  { shape: [6, 2, 3], ids: [1, 1, 6, 0, 1, 3], segments: 4 },
  // a μ2 table's gradient: a 256-row batch over 40 rows
  { shape: [256, 8], ids: Array.from({ length: 256 }, (_, b) => (b * 7) % 40), segments: 40 },
];

const valuesOf = (c: (typeof SEGMENT_SUM_CASES)[number], seed: number) =>
  new Rng(seed).fillNormal(new Float32Array(c.shape.reduce((a, b) => a * b, 1)));

/** The reference: out[s] += x[b] for b in order, each sum rounded to float32 (ids out of range dropped). */
export function segmentSumLoop(c: (typeof SEGMENT_SUM_CASES)[number], seed: number): Float32Array {
  const x = valuesOf(c, seed);
  const inner = x.length / c.shape[0];
  const out = new Float32Array(c.segments * inner);
  c.ids.forEach((s, b) => {
    if (s < 0 || s >= c.segments) return;
    for (let j = 0; j < inner; j++) out[s * inner + j] = Math.fround(out[s * inner + j] + x[b * inner + j]);
  });
  return out;
}

/**
 * On the current backend, per case: tf.unsortedSegmentSum, and the gradient of Σ gather(t, ids)·x with
 * respect to the table t (the same sum, reached through gather's gradient; ids in range only).
 */
export async function segmentSumsOnBackend(
  seed: number,
): Promise<{ sums: Float32Array[]; grads: Float32Array[] }> {
  const sums: Float32Array[] = [];
  const grads: Float32Array[] = [];
  for (const c of SEGMENT_SUM_CASES) {
    const x = tf.tensor(valuesOf(c, seed), c.shape);
    const ids = tf.tensor1d(c.ids, 'int32');
    const sum = tf.unsortedSegmentSum(x, ids, c.segments);
    sums.push((await sum.data()) as Float32Array);
    const inRange = tf.tensor1d(
      c.ids.map((s) => (s < 0 || s >= c.segments ? 0 : s)),
      'int32',
    );
    const table = tf.zeros([c.segments, ...c.shape.slice(1)]);
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, inRange), x)))(table);
    grads.push((await grad.data()) as Float32Array);
    tf.dispose([x, ids, sum, inRange, table, grad]);
  }
  return { sums, grads };
}

/** segmentSumLoop for the gradients: out-of-range ids of a case were sent to row 0. */
export function gatherGradLoop(c: (typeof SEGMENT_SUM_CASES)[number], seed: number): Float32Array {
  return segmentSumLoop({ ...c, ids: c.ids.map((s) => (s < 0 || s >= c.segments ? 0 : s)) }, seed);
}
