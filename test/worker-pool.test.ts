import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { Adam } from '../src/train/adam.ts';
import { weightedMean } from '../src/train/gradients.ts';
import { ParameterStore } from '../src/train/parameters.ts';
import { splitSlots, updateSlots } from '../src/train/worker-pool.ts';

describe('the data-parallel update split over threads', () => {
  it('splits the variables into contiguous ranges of about equal weight counts', () => {
    const sizes = [512, 32, 16384, 32, 4096, 262144, 256, 2560, 10];
    for (const parts of [1, 2, 3, 5]) {
      const ranges = splitSlots(sizes, parts);
      assert.equal(ranges.length, parts);
      assert.equal(ranges[0][0], 0);
      assert.equal(ranges.at(-1)![1], sizes.length);
      for (let p = 1; p < parts; p++) assert.equal(ranges[p][0], ranges[p - 1][1], 'contiguous');
    }
    const [a, b] = splitSlots([100, 100, 100, 100], 2);
    assert.deepEqual(
      [a, b],
      [
        [0, 2],
        [2, 4],
      ],
    );
  });

  it("each thread's share of Adam on the mean of the threads' gradients is the whole update bit for bit", async () => {
    await useBackend('cpu');
    const rng = new Rng(3);
    const shapes = [[7, 5], [5], [64, 33], [33]];
    const variables = shapes.map((s) =>
      tf.variable(tf.tensor(rng.fillNormal(new Float32Array(tf.util.sizeFromShape(s))), s)),
    );
    const model = { nets: { net: { weights: variables.map((v) => ({ read: () => v })) } } } as never;
    const options = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const total = shapes.reduce((n, s) => n + tf.util.sizeFromShape(s), 0);
    const steps = [0, 1, 2].map(() => [0, 1, 2].map(() => rng.fillNormal(new Float32Array(total))));
    const weights = Float64Array.of(11 / 32, 11 / 32, 10 / 32);
    const fresh = () => {
      const store = new ParameterStore(model);
      const indices = store.indicesOf(variables);
      return {
        store,
        indices,
        adam: new Adam(
          indices.map((i) => store.sizes[i]),
          options,
        ),
      };
    };
    const split = (ranges: [number, number][]) => {
      const { store, indices, adam } = fresh();
      const scratch: Float32Array[] = [];
      for (const threadGrads of steps) {
        const constants = adam.nextConstants();
        for (const [from, to] of ranges)
          updateSlots(store, indices, threadGrads, adam.state(), scratch, { from, to, constants, weights });
      }
      return [Float32Array.from(store.flat), ...adam.state().map((a) => Float32Array.from(a))];
    };
    // one thread's way: the mean of each variable written out, then Adam.apply
    const { store, indices, adam } = fresh();
    for (const threadGrads of steps) {
      const means = indices.map((i) =>
        weightedMean(
          threadGrads.map((g) => store.viewOf(g, i)),
          weights,
        ),
      );
      adam.apply(
        indices.map((i) => store.view(i)),
        means,
      );
    }
    const want = [Float32Array.from(store.flat), ...adam.state().map((a) => Float32Array.from(a))];
    assert.deepEqual(split([[0, 4]]), want);
    assert.deepEqual(
      split([
        [0, 1],
        [1, 3],
        [3, 4],
      ]),
      want,
    );
    assert.notDeepEqual(want[0], new ParameterStore(model).flat, 'the weights moved');
    tf.dispose(variables);
  });
});
