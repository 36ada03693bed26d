import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createDSprites,
  DSPRITES_SIZE,
  DSPRITES_VALUES,
  factorsOfIndex,
  indexOfFactors,
  latentValues,
  renderSprite,
} from '../src/data/dsprites.ts';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { Rng } from '../src/engine/rng.ts';

const render = (f: number[]) => {
  const img = new Float32Array(64 * 64);
  renderSprite(f, img);
  return img;
};
const area = (img: Float32Array) => img.reduce((s, v) => s + v, 0);
const centroid = (img: Float32Array) => {
  let x = 0;
  let y = 0;
  let n = 0;
  img.forEach((v, i) => {
    if (v > 0) {
      x += i % 64;
      y += Math.floor(i / 64);
      n++;
    }
  });
  return { x: x / n, y: y / n };
};

describe('procedural dSprites', () => {
  const data = createDSprites();

  it('has the original factors, sizes and values', () => {
    assert.deepEqual(data.factorNames, ['shape', 'scale', 'orientation', 'posX', 'posY']);
    assert.deepEqual(data.factorSizes, [3, 6, 40, 32, 32]);
    assert.equal(
      data.factorSizes.reduce((a, b) => a * b, 1),
      DSPRITES_SIZE,
    );
    assert.deepEqual(
      DSPRITES_VALUES.scale.map((v) => Number(v.toFixed(4))),
      [0.5, 0.6, 0.7, 0.8, 0.9, 1],
    );
    assert.equal(DSPRITES_VALUES.orientation[39], 2 * Math.PI);
    assert.deepEqual(latentValues([2, 5, 0, 31, 0]), [1, 3, 1, 0, 1, 0]);
  });

  it('indexes images as the original (posY fastest) and round-trips indices', () => {
    assert.equal(indexOfFactors([0, 0, 0, 0, 1]), 1);
    assert.equal(indexOfFactors([0, 0, 0, 1, 0]), 32);
    assert.equal(indexOfFactors([1, 0, 0, 0, 0]), 245_760);
    for (const i of [0, 1, 12_345, 245_760, DSPRITES_SIZE - 1])
      assert.equal(indexOfFactors(factorsOfIndex(i)), i);
  });

  it('draws binary sprites whose area grows as scale², whose centre follows posX and posY', () => {
    for (const shape of [0, 1, 2]) {
      const small = area(render([shape, 0, 0, 16, 16]));
      const large = area(render([shape, 5, 0, 16, 16]));
      assert.ok(small > 10, `shape ${shape} visible`);
      const ratio = large / small;
      assert.ok(
        ratio > 3 && ratio < 5,
        `shape ${shape}: area ratio ${ratio} for scale 1 vs 0.5 (expected ~4)`,
      );
    }
    const xs = [0, 8, 16, 24, 31].map((posX) => centroid(render([0, 3, 0, posX, 10])));
    for (let i = 1; i < xs.length; i++) {
      assert.ok(xs[i].x > xs[i - 1].x, 'posX moves the sprite right');
      assert.ok(Math.abs(xs[i].y - xs[0].y) < 1e-9, 'posX leaves the row alone');
    }
    const ys = [0, 31].map((posY) => centroid(render([0, 3, 0, 10, posY])));
    assert.ok(ys[1].y > ys[0].y + 30, 'posY moves the sprite down');
    const image = render([2, 5, 7, 0, 31]);
    assert.ok(
      image.every((v) => v === 0 || v === 1),
      'binary pixels',
    );
  });

  it('orientation 0 and 2π draw the same image; other angles turn the square', () => {
    assert.deepEqual(render([0, 5, 0, 16, 16]), render([0, 5, 39, 16, 16]));
    assert.notDeepEqual(render([0, 5, 0, 16, 16]), render([0, 5, 5, 16, 16]));
  });

  it('samples reproducibly from a seed, with factors in range', () => {
    const a = sampleBatch(data, 32, new Rng(1));
    const b = sampleBatch(data, 32, new Rng(1));
    assert.deepEqual(a.factors, b.factors);
    assert.deepEqual(a.x, b.x);
    for (let i = 0; i < a.factors.length; i++)
      assert.ok(a.factors[i] >= 0 && a.factors[i] < data.factorSizes[i % 5]);
    assert.notDeepEqual(sampleBatch(data, 32, new Rng(2)).factors, a.factors);
  });

  it('colour and noisy variants: RGB values in the documented ranges', () => {
    const color = createDSprites({ variant: 'color' });
    assert.deepEqual(color.observationShape, [64, 64, 3]);
    const factors = new Int32Array([1, 5, 0, 16, 16]);
    const img = color.sampleObservationsFromFactors(factors, new Rng(3));
    const lit = img.filter((v) => v > 0);
    assert.ok(lit.length > 0 && lit.every((v) => v >= 0.5 && v <= 1), 'sprite colour in U(0.5, 1)');
    assert.equal(lit.length, 3 * area(render([1, 5, 0, 16, 16])));
    const noisy = createDSprites({ variant: 'noisy' }).sampleObservationsFromFactors(factors, new Rng(3));
    const mean = noisy.reduce((s, v) => s + v, 0) / noisy.length;
    assert.ok(
      noisy.every((v) => v >= 0 && v <= 1) && mean > 0.45 && mean < 0.56,
      `noise background, mean ${mean}`,
    );
  });
});
