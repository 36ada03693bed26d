import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodePng, encodeGif, encodePng, writePng } from '../src/viz/encode.ts';
import { imageGrid, rowsOf } from '../src/viz/image-grid.ts';
import { pingPong, traversalImages, traversalValues } from '../src/viz/traversal.ts';
import { tempDir } from './helpers/cli.ts';

/** Image descriptors (0x2C) in a GIF: walk the block structure rather than scanning bytes. */
function gifFrameCount(bytes: Uint8Array): number {
  let p = 13;
  if (bytes[10] & 0x80) p += 3 * 2 ** ((bytes[10] & 7) + 1);
  let frames = 0;
  const skipSubBlocks = () => {
    while (bytes[p] !== 0) p += bytes[p] + 1;
    p += 1;
  };
  while (p < bytes.length && bytes[p] !== 0x3b) {
    if (bytes[p] === 0x21) {
      p += 2;
      skipSubBlocks();
    } else if (bytes[p] === 0x2c) {
      frames += 1;
      const flags = bytes[p + 9];
      p += 10;
      if (flags & 0x80) p += 3 * 2 ** ((flags & 7) + 1);
      p += 1;
      skipSubBlocks();
    } else throw new Error(`bad GIF block 0x${bytes[p].toString(16)} at ${p}`);
  }
  return frames;
}

describe('pictures', () => {
  it('grid geometry, padding colour and pixel placement', () => {
    const data = new Float32Array(4 * 2 * 3).fill(0);
    data[1 * 6 + 5] = 1; // image 1, bottom-right pixel
    const grid = imageGrid({ data, shape: [4, 2, 3, 1] }, rowsOf(4, 3), { padding: 1, upscale: 2 });
    assert.equal(grid.width, 3 * 6 + 4);
    assert.equal(grid.height, 2 * 4 + 3);
    const pixel = (x: number, y: number) =>
      Array.from(grid.rgb.subarray((y * grid.width + x) * 3, (y * grid.width + x) * 3 + 3));
    assert.deepEqual(pixel(0, 0), [40, 70, 140], 'padding');
    // image 1 sits in column 1: left = 1 + 1*(6+1) = 8; its bottom-right source pixel covers x 12..13, y 3..4
    assert.deepEqual(pixel(13, 4), [255, 255, 255]);
    assert.deepEqual(pixel(11, 4), [0, 0, 0]);
    assert.deepEqual(pixel(1 + 2 * 7, 1 + 5), [40, 70, 140], 'the blank sixth cell stays background');
  });

  it('PNG round-trips pixel for pixel and is written atomically', async () => {
    const rgb = new Uint8Array(5 * 3 * 3).map((_, i) => (i * 37) % 256);
    const image = { width: 5, height: 3, rgb };
    assert.deepEqual(decodePng(encodePng(image)), image);
    const dir = tempDir('png');
    await writePng(join(dir, 'a.png'), image);
    await writePng(join(dir, 'a.png'), { ...image, rgb: rgb.map((v) => 255 - v) });
    assert.deepEqual(readdirSync(dir), ['a.png'], 'no temp file left behind');
    assert.equal(decodePng(readFileSync(join(dir, 'a.png'))).rgb[0], 255);
  });

  it('GIF: header, size and one frame per image', () => {
    const frames = [0, 80, 160, 240].map((v) => ({ width: 4, height: 2, rgb: new Uint8Array(24).fill(v) }));
    const gif = encodeGif(frames, 100);
    assert.equal(Buffer.from(gif.subarray(0, 6)).toString(), 'GIF89a');
    assert.equal(gif[6] + 256 * gif[7], 4);
    assert.equal(gif[8] + 256 * gif[9], 2);
    assert.equal(gifFrameCount(gif), 4);
    assert.deepEqual(pingPong(4), [0, 1, 2, 3, 2, 1]);
  });

  it('a traversal row changes only its own dim, from μ−range to μ+range, in decode batches', () => {
    const mean = new Float32Array([0.3, -0.5, 1]);
    const calls: number[] = [];
    // a decoder that paints pixel d with code[d]: every image shows its whole code
    const decode = (codes: Float32Array, n: number) => {
      calls.push(n);
      return codes.slice(0, n * 3);
    };
    const images = traversalImages({
      mean,
      decode,
      imageShape: [1, 3, 1],
      dims: [2, 0],
      steps: 5,
      range: 2,
      batchSize: 4,
    });
    assert.deepEqual(images.shape, [10, 1, 3, 1]);
    assert.ok(
      calls.every((n) => n <= 4) && calls.reduce((a, b) => a + b, 0) === 10,
      `decode batches ${calls}`,
    );
    const code = (row: number, col: number) =>
      Array.from(images.data.subarray((row * 5 + col) * 3, (row * 5 + col) * 3 + 3));
    for (let col = 0; col < 5; col++) {
      const value = traversalValues(1, 5, 2)[col];
      assert.deepEqual(
        code(0, col).map((v) => Number(v.toFixed(5))),
        [0.3, -0.5, value].map((v) => Number(Math.fround(v).toFixed(5))),
      );
    }
    assert.ok(Math.abs(code(0, 0)[2] - -1) < 1e-6 && Math.abs(code(0, 4)[2] - 3) < 1e-6, 'ends at μ ∓ 2');
    assert.ok(Math.abs(code(1, 0)[0] - -1.7) < 1e-6 && code(1, 0)[2] === 1, 'row 2 moves dim 0 only');
    assert.ok(!existsSync('traversal.png'));
  });
});
