import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { type DciJob, dciFactor, dciFromSamples, dciTask } from '../src/metrics/dci.ts';
import { perFactor } from '../src/metrics/factor-threads.ts';
import { type InfoEJob, infoEOfFactor, infoETask } from '../src/metrics/infomec.ts';
import {
  type ExplicitnessJob,
  explicitnessOfFactor,
  explicitnessTask,
  modularityFromSamples,
} from '../src/metrics/modularity-explicitness.ts';

// Per-factor fits on this thread and a worker (factor-threads.ts): the worker's results are this thread's.

const dciOfFactor = (job: DciJob, f: number) =>
  Array.from(
    dciFactor(
      job.train,
      job.test,
      job.dim,
      job.numFactors,
      f,
      job.options,
      job.continuous[f],
      job.normalised,
    ),
  );

describe('DCI on two threads', () => {
  test('the factors split between this thread and a worker give the results of one thread', () => {
    const rng = new Rng(23);
    // a discrete factor of 4 classes, a binary one, a continuous one, so every kind of factor crosses threads
    const [nTrain, nTest, dim] = [300, 100, 3];
    const total = nTrain + nTest;
    const factors = Int32Array.from({ length: total * 3 }, (_, i) => rng.int(i % 3 === 0 ? 4 : 2));
    const values = Float64Array.from(factors, (v, i) => (i % 3 === 2 ? rng.normal() : v));
    const codes = Float64Array.from({ length: total * dim }, (_, i) => {
      const row = Math.floor(i / dim);
      return values[row * 3 + (i % dim)] + 0.5 * rng.normal();
    });
    const batch = (from: number, n: number) => ({
      n,
      codes: codes.subarray(from * dim, (from + n) * dim),
      factors: factors.subarray(from * 3, (from + n) * 3),
      values: values.subarray(from * 3, (from + n) * 3),
    });
    const run = (threads: number) =>
      dciFromSamples(
        batch(0, nTrain),
        batch(nTrain, nTest),
        dim,
        3,
        { stages: 5 },
        [false, false, true],
        true,
        threads,
      );
    const one = run(1);
    assert.deepEqual(run(2), one);
    assert.ok(one.importance[0][0] > 0.5, `R[0][0] = ${one.importance[0][0]}`);
    // the worker alone: every factor computed there, in its copy of the data
    const job: DciJob = {
      train: batch(0, nTrain),
      test: batch(nTrain, nTest),
      dim,
      numFactors: 3,
      options: { stages: 5 },
      continuous: [false, false, true],
      normalised: true,
    };
    const fail = () => {
      throw new Error('this thread computes nothing');
    };
    const scores = perFactor({ ...dciTask, run: fail }, job, 3, dim + 2, () => 1, 2, false);
    scores.forEach((score, f) => {
      assert.deepEqual(
        Array.from(score),
        [...one.importance.map((row) => row[f]), ...dciOfFactor(job, f).slice(dim)],
        `factor ${f}`,
      );
    });
  });
});

describe('explicitness and InfoE on a worker', () => {
  const rng = new Rng(29);
  const [n, dim] = [300, 3];
  const factors = Int32Array.from({ length: n * 2 }, (_, i) => rng.int(i % 2 === 0 ? 4 : 3));
  const codes = Float64Array.from({ length: n * dim }, (_, i) => {
    const row = Math.floor(i / dim);
    return (i % dim < 2 ? factors[row * 2 + (i % dim)] : 0) + 0.7 * rng.normal();
  });
  const fail = () => {
    throw new Error('this thread computes nothing');
  };
  const batch = (from: number, m: number) => ({
    n: m,
    codes: codes.subarray(from * dim, (from + m) * dim),
    factors: factors.subarray(from * 2, (from + m) * 2),
  });

  test('explicitness: the logistic regressions and ROC-AUCs of every factor', () => {
    const [train, test] = [batch(0, 200), batch(200, 100)];
    const one = modularityFromSamples(train, test, dim, 2, 20, [], 1);
    assert.deepEqual(modularityFromSamples(train, test, dim, 2, 20, [], 2), one);
    const job: ExplicitnessJob = {
      train,
      test,
      xTrain: Float64Array.from(train.codes),
      xTest: Float64Array.from(test.codes),
      dim,
      numFactors: 2,
      continuous: [false, false],
    };
    const scores = perFactor({ ...explicitnessTask, run: fail }, job, 2, 2, () => 1, 2, false);
    scores.forEach((score, f) => {
      assert.deepEqual(Array.from(score), Array.from(explicitnessOfFactor(job, f)), `factor ${f}`);
    });
    assert.ok(scores[0][1] > 0.7, `test AUC of factor 0: ${scores[0][1]}`);
  });

  test('InfoE: the balanced unpenalised logistic regression of every factor', () => {
    const job: InfoEJob = {
      x: codes,
      labels: [0, 1].map((f) => Int32Array.from({ length: n }, (_, i) => factors[i * 2 + f])),
      dim,
    };
    const scores = perFactor({ ...infoETask, run: fail }, job, 2, 1, () => 1, 2, false);
    scores.forEach((score, f) => {
      assert.deepEqual(Array.from(score), Array.from(infoEOfFactor(job, f)), `factor ${f}`);
    });
  });
});
