import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  createDSprites,
  DSPRITES_BASES,
  DSPRITES_SIZE,
  DSPRITES_VALUES,
  factorsOfIndex,
  indexOfFactors,
  latentClasses,
  latentValues,
  renderImage,
  renderSprite,
} from '../src/data/dsprites.ts';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { Rng } from '../src/engine/rng.ts';
import { tempDir, untangle } from './helpers/cli.ts';

const render = (f: number[]) => {
  const img = new Float32Array(64 * 64);
  renderSprite(f, img);
  return img;
};
const area = (img: ArrayLike<number>) => Array.from(img).reduce((s, v) => s + v, 0);
/** Centre of mass and bounding box (rows and columns of lit pixels). */
const geometry = (img: ArrayLike<number>) => {
  let x = 0;
  let y = 0;
  let n = 0;
  const box = { top: 64, bottom: -1, left: 64, right: -1 };
  for (let i = 0; i < 4096; i++) {
    if (img[i] === 0) continue;
    const row = Math.floor(i / 64);
    const col = i % 64;
    x += col;
    y += row;
    n++;
    box.top = Math.min(box.top, row);
    box.bottom = Math.max(box.bottom, row);
    box.left = Math.min(box.left, col);
    box.right = Math.max(box.right, col);
  }
  return { x: x / n, y: y / n, ...box };
};

describe('procedural dSprites', () => {
  const data = createDSprites();

  it('has the original factors, sizes and latents values', () => {
    assert.deepEqual(data.factorNames, ['shape', 'scale', 'orientation', 'posX', 'posY']);
    assert.deepEqual(data.factorSizes, [3, 6, 40, 32, 32]);
    assert.deepEqual(data.observationShape, [64, 64, 1]);
    assert.equal(
      data.factorSizes.reduce((a, b) => a * b, 1),
      DSPRITES_SIZE,
    );
    assert.deepEqual(
      DSPRITES_VALUES.scale.map((v) => Number(v.toFixed(6))),
      [0.5, 0.6, 0.7, 0.8, 0.9, 1],
    );
    assert.equal(DSPRITES_VALUES.orientation[0], 0);
    assert.equal(DSPRITES_VALUES.orientation[39], 2 * Math.PI, 'orientation includes 2π, as the original');
    assert.ok(Math.abs(DSPRITES_VALUES.orientation[1] - 0.16110732) < 1e-8);
    assert.equal(DSPRITES_VALUES.posX[31], 1);
    assert.deepEqual(latentValues([2, 5, 39, 31, 0]), [1, 3, 1, 2 * Math.PI, 1, 0]);
    assert.deepEqual(latentClasses([2, 5, 39, 31, 0]), [0, 2, 5, 39, 31, 0]);
  });

  it('indexes images as the original (color, shape, scale, orientation, posX, posY; posY fastest)', () => {
    assert.deepEqual(DSPRITES_BASES, [245_760, 40_960, 1024, 32, 1]);
    assert.equal(indexOfFactors([0, 0, 0, 0, 1]), 1);
    assert.equal(indexOfFactors([0, 0, 0, 1, 0]), 32);
    assert.equal(indexOfFactors([0, 0, 1, 0, 0]), 1024);
    assert.equal(indexOfFactors([1, 0, 0, 0, 0]), 245_760);
    assert.equal(indexOfFactors([2, 5, 39, 31, 31]), DSPRITES_SIZE - 1);
    const rng = new Rng(7);
    for (let n = 0; n < 1000; n++) {
      const i = rng.int(DSPRITES_SIZE);
      assert.equal(indexOfFactors(factorsOfIndex(i)), i);
    }
    assert.throws(() => indexOfFactors([3, 0, 0, 0, 0]), /shape = 3, expected an integer in \[0, 3\)/);
    assert.throws(() => factorsOfIndex(DSPRITES_SIZE), /index 737280/);
  });

  it('renders deterministically, one image by flat index', () => {
    for (const i of [0, 99_999, 500_000, DSPRITES_SIZE - 1]) {
      const img = renderImage(i);
      assert.deepEqual(img, renderImage(i));
      assert.deepEqual(Float32Array.from(img), render(factorsOfIndex(i)));
      assert.ok(
        img.every((v) => v === 0 || v === 1),
        'binary pixels, no anti-aliasing',
      );
    }
  });

  it('grows each shape’s area as scale², and matches the original square exactly: (20 s)² pixels', () => {
    for (const shape of [0, 1, 2]) {
      const smallest = area(render([shape, 0, 0, 16, 16]));
      for (let scale = 1; scale < 6; scale++) {
        const expected = (DSPRITES_VALUES.scale[scale] / 0.5) ** 2;
        const ratio = area(render([shape, scale, 0, 16, 16])) / smallest;
        assert.ok(
          Math.abs(ratio / expected - 1) < 0.15,
          `shape ${shape} scale ${scale}: area ratio ${ratio.toFixed(2)}, expected ~${expected.toFixed(2)}`,
        );
      }
    }
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((scale) => area(render([0, scale, 0, 0, 0]))),
      [100, 144, 196, 256, 324, 400],
    );
  });

  it('places sprites as the original: centre 16 + 32 pos pixels, posX along columns, posY down', () => {
    assert.deepEqual(geometry(render([0, 5, 0, 0, 0])), {
      x: 15.5,
      y: 15.5,
      top: 6,
      bottom: 25,
      left: 6,
      right: 25,
    });
    assert.deepEqual(geometry(render([0, 5, 0, 31, 31])), {
      x: 47.5,
      y: 47.5,
      top: 38,
      bottom: 57,
      left: 38,
      right: 57,
    });
    // bounding boxes of the original's unrotated ellipse and heart at scale 1
    const ellipse = geometry(render([1, 5, 0, 0, 0]));
    assert.deepEqual([ellipse.top, ellipse.bottom, ellipse.left, ellipse.right], [9, 22, 3, 28]);
    const heart = geometry(render([2, 5, 0, 0, 0]));
    assert.deepEqual([heart.top, heart.bottom, heart.left, heart.right], [7, 23, 6, 25]);
    assert.ok(heart.y < 15, `the heart's lobes are up: centre of mass row ${heart.y}`);
    for (const shape of [0, 1, 2]) {
      const xs = Array.from({ length: 32 }, (_, posX) => geometry(render([shape, 3, 7, posX, 10])));
      for (let i = 1; i < 32; i++) {
        assert.ok(xs[i].x > xs[i - 1].x, `shape ${shape}: posX ${i} moves the sprite right (${xs[i].x})`);
        assert.equal(xs[i].y, xs[0].y, 'posX leaves the rows alone');
      }
      const ys = [0, 31].map((posY) => geometry(render([shape, 3, 7, 10, posY])));
      assert.ok(ys[1].y > ys[0].y + 30, `shape ${shape}: posY moves the sprite down`);
    }
  });

  it('keeps every sprite inside the image, off the border', () => {
    for (let i = 0; i < 3 * 6 * 40; i++) {
      for (const [posX, posY] of [
        [0, 0],
        [31, 31],
      ]) {
        const f = [Math.floor(i / 240), Math.floor(i / 40) % 6, i % 40, posX, posY];
        const box = geometry(render(f));
        assert.ok(
          box.top > 0 && box.left > 0 && box.bottom < 63 && box.right < 63,
          `factors ${f}: ${JSON.stringify(box)}`,
        );
      }
    }
  });

  it('draws orientation 0 and 2π the same; other angles turn the sprite', () => {
    for (const shape of [0, 1, 2])
      assert.deepEqual(render([shape, 5, 0, 16, 16]), render([shape, 5, 39, 16, 16]));
    assert.notDeepEqual(render([0, 5, 0, 16, 16]), render([0, 5, 5, 16, 16]));
    // the heart turns counter-clockwise: a quarter turn brings its lobes to the left
    const centre = geometry(render([0, 5, 0, 16, 16])).x;
    const quarter = geometry(render([2, 5, 10, 16, 16])).x;
    assert.ok(quarter < centre - 1, `lobes left: centre of mass column ${quarter}, sprite centre ${centre}`);
  });

  it('samples identical batches from the same seed, factors in range', () => {
    const a = sampleBatch(data, 32, new Rng(1));
    const b = sampleBatch(data, 32, new Rng(1));
    assert.deepEqual(a.factors, b.factors);
    assert.deepEqual(a.x, b.x);
    for (let i = 0; i < a.factors.length; i++)
      assert.ok(a.factors[i] >= 0 && a.factors[i] < data.factorSizes[i % 5]);
    assert.notDeepEqual(sampleBatch(data, 32, new Rng(2)).factors, a.factors);
    for (const variant of ['color', 'noisy'] as const) {
      const other = createDSprites({ variant });
      assert.deepEqual(sampleBatch(other, 8, new Rng(5)).x, sampleBatch(other, 8, new Rng(5)).x, variant);
    }
  });

  it('colour and noisy variants: RGB values in the documented ranges', () => {
    const color = createDSprites({ variant: 'color' });
    assert.deepEqual(color.observationShape, [64, 64, 3]);
    const factors = new Int32Array([1, 5, 0, 16, 16, 2, 3, 9, 4, 20]);
    const img = color.sampleObservationsFromFactors(factors, new Rng(3));
    assert.equal(img.length, 2 * 64 * 64 * 3);
    const lit = img.filter((v) => v > 0);
    assert.ok(
      lit.every((v) => v >= 0.5 && v <= 1),
      'sprite colour in U(0.5, 1)',
    );
    assert.equal(lit.length, 3 * (area(render([1, 5, 0, 16, 16])) + area(render([2, 3, 9, 4, 20]))));
    const first = img.subarray(0, 4096 * 3);
    const firstLit = Math.floor(first.findIndex((v) => v > 0) / 3);
    const rgb = Array.from(first.subarray(3 * firstLit, 3 * firstLit + 3));
    for (let p = 0; p < 4096; p++) {
      if (first[3 * p] > 0)
        assert.deepEqual(Array.from(first.subarray(3 * p, 3 * p + 3)), rgb, 'one colour per image');
    }
    const noisy = createDSprites({ variant: 'noisy' });
    const x = noisy.sampleObservationsFromFactors(factors, new Rng(3));
    const mask = render([1, 5, 0, 16, 16]);
    let background = 0;
    let n = 0;
    for (let p = 0; p < 4096; p++) {
      for (let c = 0; c < 3; c++) {
        const v = x[3 * p + c];
        assert.ok(v >= 0 && v <= 1, `value ${v} in [0, 1]`);
        if (mask[p] === 1) assert.equal(v, 1, 'sprite pixels are 1');
        else {
          background += v;
          n++;
        }
      }
    }
    assert.ok(Math.abs(background / n - 0.5) < 0.02, `U(0, 1) background, mean ${background / n}`);
  });

  it('renders a batch of 64 in well under 1 ms per image', () => {
    const rng = new Rng(11);
    const began = performance.now();
    for (let b = 0; b < 10; b++) data.sampleObservationsFromFactors(data.sampleFactors(64, rng), rng);
    const perImage = (performance.now() - began) / 640;
    assert.ok(perImage < 1, `${perImage.toFixed(3)} ms per image`);
  });

  it('untangle data dsprites keeps an existing file unless --overwrite is given', () => {
    const out = join(tempDir('data'), 'dsprites.npz');
    writeFileSync(out, 'keep me');
    const result = untangle(['data', 'dsprites', '--out', out]);
    assert.equal(result.status, 2);
    assert.equal(result.stderr, `untangle: --out ${out} already exists: pass --overwrite to replace it\n`);
  });
});
