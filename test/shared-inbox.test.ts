import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '../src/engine/backend.ts';
import { readInto } from '../src/train/gradients.ts';
import { SharedInbox } from '../src/train/shared-inbox.ts';

describe('shared inbox (a worker slice in shared memory)', () => {
  it('copies every typed array into one reused SharedArrayBuffer and keeps the other fields', () => {
    const inbox = new SharedInbox();
    const batch = Float32Array.from({ length: 10 }, (_, i) => i + 0.5);
    const slice = { x: batch.subarray(5, 10), rows: Int32Array.of(3, 1, 2), size: 5, firstExample: 5 };
    const placed = inbox.place(slice);
    assert.deepEqual([...placed.x], [5.5, 6.5, 7.5, 8.5, 9.5]);
    assert.deepEqual([...placed.rows], [3, 1, 2]);
    assert.ok(placed.x instanceof Float32Array && placed.rows instanceof Int32Array);
    assert.ok(placed.x.buffer instanceof SharedArrayBuffer);
    assert.equal(placed.x.buffer, placed.rows.buffer, 'one buffer for the slice');
    assert.equal(placed.size, 5);
    assert.equal(placed.firstExample, 5);
    batch[5] = -1;
    assert.equal(placed.x[0], 5.5, 'a copy, not a view of the batch');
    const next = inbox.place({ x: Float32Array.of(1, 2), rows: Int32Array.of(7), size: 2, firstExample: 0 });
    assert.equal(next.x.buffer, placed.x.buffer, 'reused when it fits');
    assert.deepEqual([...next.x], [1, 2]);
    const bigger = inbox.place({ x: new Float32Array(100).fill(3), size: 100, firstExample: 0 });
    assert.ok(bigger.x.buffer.byteLength >= 400);
    assert.equal(bigger.x[99], 3);
  });

  it('a worker reads the posted slice in place: no copy, the values intact', async () => {
    const inbox = new SharedInbox();
    const placed = inbox.place({ x: Float32Array.of(1.25, -2, 3), size: 3, firstExample: 0 });
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads');
       parentPort.once('message', (s) => { s.x[0] += 1; parentPort.postMessage([...s.x]); });`,
      { eval: true },
    );
    worker.postMessage(placed);
    const seen = await new Promise((resolve) => worker.once('message', resolve));
    await worker.terminate();
    assert.deepEqual(seen, [2.25, -2, 3]);
    assert.equal(placed.x[0], 2.25, "the worker's write shows here: the memory is shared");
  });
});

describe('readInto', () => {
  for (const backend of ['wasm', 'cpu'] as const)
    it(`${backend}: copies a tensor's values into the given array, as dataSync reads them`, async () => {
      await useBackend(backend);
      const t = tf.tidy(() => tf.range(0, 12).reshape([3, 4]).mul(0.1).exp());
      const into = new Float32Array(12);
      assert.equal(readInto(t, into), into);
      assert.deepEqual([...into], [...(t.dataSync() as Float32Array)]);
      t.dispose();
    });
});
