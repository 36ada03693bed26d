import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { decodePng, encodePng, type RgbImage, writePngAtomic } from '../src/io/png.ts';
import {
  decodeTraversal,
  encodeGif,
  type ImageBatch,
  imageAt,
  imageGrid,
  pingPong,
  reconstructionGrid,
  samplesGrid,
  traversalFrames,
  traversalGrid,
  writeGifAtomic,
} from '../src/viz/index.ts';
import { tempDir } from './helpers/cli.ts';

const pixel = (image: RgbImage, x: number, y: number) =>
  Array.from(image.rgb.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));

/** Walks a GIF's block structure: screen size, global colour table, frames, delays, loop count. */
function parseGif(bytes: Uint8Array) {
  const u16 = (p: number) => bytes[p] + 256 * bytes[p + 1];
  const header = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  const width = u16(6);
  const height = u16(8);
  let p = 13;
  const globalColours = bytes[10] & 0x80 ? 2 ** ((bytes[10] & 7) + 1) : 0;
  const palette = Array.from({ length: globalColours }, (_, i) =>
    Array.from(bytes.subarray(p + 3 * i, p + 3 * i + 3)),
  );
  p += 3 * globalColours;
  const delays: number[] = [];
  const frames: { width: number; height: number }[] = [];
  let loop: number | undefined;
  const skipSubBlocks = () => {
    while (bytes[p] !== 0) p += bytes[p] + 1;
    p += 1;
  };
  while (bytes[p] !== 0x3b) {
    if (p >= bytes.length) throw new Error('GIF ends without a trailer');
    if (bytes[p] === 0x21) {
      const label = bytes[p + 1];
      if (label === 0xf9) delays.push(u16(p + 4));
      if (label === 0xff && Buffer.from(bytes.subarray(p + 3, p + 14)).toString('latin1') === 'NETSCAPE2.0')
        loop = u16(p + 16);
      p += 2;
      skipSubBlocks();
    } else if (bytes[p] === 0x2c) {
      frames.push({ width: u16(p + 5), height: u16(p + 7) });
      const flags = bytes[p + 9];
      p += 10;
      if (flags & 0x80) p += 3 * 2 ** ((flags & 7) + 1);
      p += 1; // LZW minimum code size
      skipSubBlocks();
    } else throw new Error(`bad GIF block 0x${bytes[p].toString(16)} at ${p}`);
  }
  return { header, width, height, palette, frames, delays, loop };
}

describe('image grids', () => {
  it('width and height follow rows, cols, padding and upscale; pixels land where expected', () => {
    // 5 grey images of 2x3; image i has value i/4 everywhere except its bottom-right pixel, which is 1
    const data = new Float32Array(5 * 6).map((_, i) => (i % 6 === 5 ? 1 : Math.floor(i / 6) / 4));
    const batch: ImageBatch = { data, shape: [5, 2, 3, 1] };
    const cells = [
      [imageAt(batch, 0), imageAt(batch, 1), imageAt(batch, 2)],
      [imageAt(batch, 3), null, imageAt(batch, 4)],
    ];
    const grid = imageGrid(cells, { padding: 1, upscale: 2, background: 0.2 });
    assert.equal(grid.width, 3 * (3 * 2) + 4 * 1, 'width');
    assert.equal(grid.height, 2 * (2 * 2) + 3 * 1, 'height');
    assert.equal(grid.rgb.length, grid.width * grid.height * 3);
    assert.deepEqual(pixel(grid, 0, 0), [51, 51, 51], 'padding is the given grey');
    // image 1 is at row 0, col 1: left = 1 + (6 + 1) = 8, top = 1; its bottom-right source pixel covers x 12..13, y 3..4
    assert.deepEqual(pixel(grid, 8, 1), [64, 64, 64], 'grey 0.25 becomes RGB 64');
    assert.deepEqual(pixel(grid, 12, 3), [255, 255, 255]);
    assert.deepEqual(pixel(grid, 13, 4), [255, 255, 255]);
    assert.deepEqual(pixel(grid, 11, 4), [64, 64, 64]);
    assert.deepEqual(pixel(grid, 14, 4), [51, 51, 51], 'the padding right of the cell');
    // image 4 at row 1, col 2: left = 1 + 2 * 7 = 15, top = 1 + 5 = 6
    assert.deepEqual(pixel(grid, 15, 6), [255, 255, 255]);
    assert.deepEqual(pixel(grid, 8, 6), [51, 51, 51], 'a blank cell stays background');
  });

  it('RGB images keep their channels; values are clamped to [0, 1] and rounded', () => {
    const data = Float32Array.of(1.4, 0.5, -0.3, 0, 0.2, 1, Number.NaN, 0.999, 0.001);
    const grid = imageGrid([[{ data, height: 1, width: 3, channels: 3 }]], {
      padding: 0,
      background: [0, 0, 1],
    });
    assert.deepEqual([grid.width, grid.height], [3, 1]);
    assert.deepEqual(Array.from(grid.rgb), [255, 128, 0, 0, 51, 255, 0, 255, 0]);
  });

  it('samplesGrid lays the first n images out cols to a row', () => {
    const data = new Float32Array(10).map((_, i) => i / 9);
    const grid = samplesGrid({ data, shape: [10, 1, 1, 1] }, 7, 3, { padding: 1 });
    assert.deepEqual([grid.width, grid.height], [3 + 4, 3 + 4]);
    assert.equal(pixel(grid, 1 + 2 * 2, 1 + 1 * 2)[0], Math.round((5 / 9) * 255), 'image 5 at row 1, col 2');
    assert.equal(pixel(grid, 1, 1 + 2 * 2)[0], Math.round((6 / 9) * 255), 'image 6 starts row 2');
    assert.equal(pixel(grid, 3, 5)[0], 128, 'the short last row is padded');
  });

  it('reconstructionGrid alternates a row of originals with its reconstructions', () => {
    const originals = { data: Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5), shape: [5, 1, 1, 1] } as const;
    const reconstructions = { data: Float32Array.of(0.6, 0.7, 0.8, 0.9, 1), shape: [5, 1, 1, 1] } as const;
    const grid = reconstructionGrid(originals, reconstructions, 4, 2, { padding: 0 });
    assert.deepEqual([grid.width, grid.height], [2, 4]);
    const column0 = [0, 1, 2, 3].map((y) => pixel(grid, 0, y)[0]);
    assert.deepEqual(
      column0,
      [0.1, 0.6, 0.3, 0.8].map((v) => Math.round(Math.fround(v) * 255)),
    );
    assert.throws(
      () => reconstructionGrid(originals, reconstructions, 6),
      /asked for 6 images of a batch of 5/,
    );
  });
});

describe('PNG', () => {
  it('decodes what it encodes, pixel for pixel', () => {
    const rgb = new Uint8Array(7 * 5 * 3).map((_, i) => (i * 37 + 11) % 256);
    const image = { width: 7, height: 5, rgb };
    const png = encodePng(image);
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    assert.deepEqual(decodePng(png), image);
  });
});

describe('GIF', () => {
  const grey = (v: number) => ({ width: 4, height: 2, rgb: new Uint8Array(24).fill(v) });

  it('starts with GIF89a, has one image per frame, the frames size, a delay and loops forever', () => {
    const gif = parseGif(encodeGif([0, 80, 160, 240, 17].map(grey), 120));
    assert.equal(gif.header, 'GIF89a');
    assert.deepEqual([gif.width, gif.height], [4, 2]);
    assert.equal(gif.frames.length, 5);
    assert.ok(gif.frames.every((f) => f.width === 4 && f.height === 2));
    assert.deepEqual(gif.delays, [12, 12, 12, 12, 12], 'hundredths of a second');
    assert.equal(gif.loop, 0, 'loops forever');
  });

  it('grey frames get the exact 256-level grey palette; colour frames a quantised one', () => {
    const greyGif = parseGif(encodeGif([grey(3), grey(200)]));
    assert.equal(greyGif.palette.length, 256);
    assert.ok(greyGif.palette.every(([r, g, b], i) => r === i && g === i && b === i));
    const red = {
      width: 4,
      height: 2,
      rgb: new Uint8Array(24).map((_, i) => (i % 6 === 0 || i % 6 === 5 ? 255 : 0)),
    };
    const colourGif = parseGif(encodeGif([red, grey(128)]));
    assert.equal(colourGif.frames.length, 2);
    assert.ok(
      colourGif.palette.some(([r, g, b]) => r > 200 && g < 50 && b < 50),
      `red missing from ${JSON.stringify(colourGif.palette.slice(0, 8))}`,
    );
  });

  it('refuses frames of different sizes', () => {
    assert.throws(
      () => encodeGif([grey(0), { width: 2, height: 2, rgb: new Uint8Array(12) }]),
      /frame 1 is 2x2/,
    );
  });
});

describe('latent traversal', () => {
  const mu = Float32Array.of(0.3, -0.5, 1, 0);
  const z = mu.length;
  // paints pixel d with 0.5 + code[d] / 8: every decoded image shows its whole code
  const paint = (calls: number[]) => (codes: Float32Array, n: number) => {
    calls.push(n);
    return codes.slice(0, n * z).map((v) => 0.5 + v / 8);
  };
  const unpaint = (byte: number) => (byte / 255 - 0.5) * 8;

  it('each row moves only its own dim, monotonically, from mu_d − range to mu_d + range', () => {
    const calls: number[] = [];
    const dims = [2, 0, 3];
    const options = {
      mu,
      decode: paint(calls),
      imageShape: [1, z, 1] as const,
      dims,
      steps: 5,
      range: 2,
      batchSize: 4,
    };
    const grid = traversalGrid(options, { padding: 2 });
    assert.deepEqual(
      [grid.width, grid.height],
      [5 * z + 6 * 2, 3 * 1 + 4 * 2],
      'steps columns, one row per dim',
    );
    assert.ok(
      calls.every((n) => n <= 4),
      `decode called with ${calls}, over batchSize 4`,
    );
    assert.equal(
      calls.reduce((a, b) => a + b, 0),
      15,
    );
    const code = (row: number, col: number) =>
      Array.from({ length: z }, (_, d) => unpaint(pixel(grid, 2 + col * (z + 2) + d, 2 + row * 3)[0]));
    const tolerance = 8 / 255;
    dims.forEach((dim, row) => {
      const moved = [0, 1, 2, 3, 4].map((col) => code(row, col)[dim]);
      for (let col = 0; col < 5; col++) {
        const c = code(row, col);
        for (let d = 0; d < z; d++)
          if (d !== dim)
            assert.ok(
              Math.abs(c[d] - mu[d]) < tolerance,
              `row ${row} col ${col}: dim ${d} is ${c[d]}, not ${mu[d]}`,
            );
      }
      for (let col = 1; col < 5; col++)
        assert.ok(moved[col] > moved[col - 1], `row ${row} not increasing: ${moved}`);
      assert.ok(Math.abs(moved[0] - (mu[dim] - 2)) < tolerance, `row ${row} starts at ${moved[0]}`);
      assert.ok(Math.abs(moved[4] - (mu[dim] + 2)) < tolerance, `row ${row} ends at ${moved[4]}`);
    });
  });

  it('spans mu_d ± range × scale_d exactly in the decoded values', () => {
    const calls: number[] = [];
    const scale = [1, 0.5, 0.25, 2];
    const t = decodeTraversal({
      mu,
      decode: paint(calls),
      imageShape: [1, z, 1],
      dims: [0, 1, 2, 3],
      scale,
      steps: 3,
    });
    assert.deepEqual(calls, [12], 'one call below the default batchSize of 64');
    assert.deepEqual(t.images.shape, [12, 1, z, 1]);
    for (let d = 0; d < z; d++) {
      const decoded = [0, 1, 2].map((col) => (t.images.data[(d * 3 + col) * z + d] - 0.5) * 8);
      const expected = [-1, 0, 1].map((k) => Math.fround(mu[d] + 2 * scale[d] * k));
      decoded.forEach((v, col) => {
        assert.ok(Math.abs(v - expected[col]) < 1e-5, `dim ${d} col ${col}: ${v}, expected ${expected[col]}`);
      });
    }
    assert.throws(
      () => decodeTraversal({ mu, decode: paint([]), imageShape: [1, z, 1], dims: [4] }),
      /dim 4/,
    );
  });

  it('frames go forward then back, each showing every dim at one value', () => {
    assert.deepEqual(pingPong(4), [0, 1, 2, 3, 2, 1]);
    assert.deepEqual(pingPong(2), [0, 1]);
    assert.deepEqual(pingPong(1), [0]);
    const t = decodeTraversal({
      mu,
      decode: paint([]),
      imageShape: [1, z, 1],
      dims: [1, 3, 2],
      steps: 4,
      range: 2,
    });
    const frames = traversalFrames(t, { padding: 0 });
    assert.equal(frames.length, 6);
    assert.ok(
      frames.every((f) => f.width === 3 * z && f.height === 1),
      'one row of every dim',
    );
    frames.forEach((frame, i) => {
      t.dims.forEach((dim, r) => {
        const shown = unpaint(pixel(frame, r * z + dim, 0)[0]);
        const expected = t.values[r][pingPong(4)[i]];
        assert.ok(Math.abs(shown - expected) < 8 / 255, `frame ${i} dim ${dim}: ${shown} vs ${expected}`);
      });
    });
    const twoCols = traversalFrames(t, { padding: 1, cols: 2, upscale: 3 });
    assert.deepEqual([twoCols[0].width, twoCols[0].height], [2 * 3 * z + 3, 2 * 3 + 3]);
  });
});

describe('atomic writes', () => {
  const before = { width: 2, height: 1, rgb: Uint8Array.of(1, 2, 3, 4, 5, 6) };
  const after = { width: 2, height: 1, rgb: Uint8Array.of(250, 240, 230, 220, 210, 200) };

  /** Runs `body` with fs.promises.rename replaced (ESM importers see it through syncBuiltinESMExports). */
  async function withRename(replacement: typeof fsp.rename, body: () => Promise<void>) {
    const real = fsp.rename;
    fsp.rename = replacement;
    syncBuiltinESMExports();
    try {
      await body();
    } finally {
      fsp.rename = real;
      syncBuiltinESMExports();
    }
  }

  it('replace a picture only once the new one is complete, and leave no temp file', async () => {
    const dir = tempDir('atomic');
    const path = join(dir, 'picture.png');
    await writePngAtomic(path, before);
    const real = fsp.rename;
    const renames: string[] = [];
    await withRename(
      async (from, to) => {
        assert.equal(dirname(String(from)), dir, 'the temp file sits beside the target');
        assert.deepEqual(decodePng(readFileSync(to)), before, 'the old picture is intact until the rename');
        assert.deepEqual(
          decodePng(readFileSync(from)),
          after,
          'the new picture is complete before the rename',
        );
        renames.push(String(to));
        return real(from, to);
      },
      () => writePngAtomic(path, after),
    );
    assert.deepEqual(renames, [path]);
    assert.deepEqual(decodePng(readFileSync(path)), after);
    assert.deepEqual(readdirSync(dir), ['picture.png']);
    await writeGifAtomic(join(dir, 'a.gif'), [after, after], 50);
    assert.deepEqual(readdirSync(dir).sort(), ['a.gif', 'picture.png']);
  });

  it('a failed write leaves the old picture and no temp file', async () => {
    const dir = tempDir('atomic-fail');
    const path = join(dir, 'picture.png');
    await writePngAtomic(path, before);
    await withRename(
      async () => {
        throw new Error('disk full');
      },
      () => assert.rejects(writePngAtomic(path, after), /disk full/),
    );
    assert.deepEqual(decodePng(readFileSync(path)), before);
    assert.deepEqual(readdirSync(dir), ['picture.png']);
  });
});
