import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { writeNpy } from '../src/io/npy.ts';
import { readNpz, writeNpz } from '../src/io/npz.ts';
import { decodePng, encodePng } from '../src/io/png.ts';
import { loadRun } from '../src/run/load-run.ts';
import { tempDir, untangle } from './helpers/cli.ts';

const python = ['/usr/bin/python3', 'python3'].find(
  (exe) => spawnSync(exe, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0,
);

function ok(result: ReturnType<typeof untangle>): string {
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

function assertOneLineError(result: ReturnType<typeof untangle>, pattern: RegExp): void {
  assert.equal(result.status, 2, `exit code 2, got ${result.status}: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tolerance, `${what}: largest difference ${worst} > ${tolerance}`);
}

describe('untangle encode / decode', () => {
  const dir = tempDir('encode');
  const run = join(dir, 'run');
  before(() => {
    ok(
      untangle([
        'train',
        '--model',
        'beta-vae',
        '--dataset',
        'dsprites',
        '--set',
        'batchSize=8',
        '--steps',
        '1',
        '--out',
        run,
      ]),
    );
  });

  it('round-trips codes and images with numpy, equal to the model evaluated on the cpu backend', {
    skip: python ? false : 'numpy is not installed for python3 (apt-get install python3-numpy)',
  }, async () => {
    const write = spawnSync(
      python!,
      [
        '-c',
        `
import numpy as np
rng = np.random.default_rng(3)
np.save('${dir}/x.npy', ((rng.random((6, 64, 64, 1)) > 0.7) * 255).astype(np.uint8))
np.save('${dir}/z.npy', rng.standard_normal((5, 10)))  # float64: converted on reading
`,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(write.status, 0, write.stderr);
    ok(
      untangle([
        'encode',
        run,
        '--input',
        join(dir, 'x.npy'),
        '--out',
        join(dir, 'codes.npz'),
        '--batch-size',
        '4',
      ]),
    );
    ok(untangle(['decode', run, '--codes', join(dir, 'z.npy'), '--out', join(dir, 'images.npy')]));
    const read = spawnSync(
      python!,
      [
        '-c',
        `
import json, numpy as np
codes = np.load('${dir}/codes.npz')
images = np.load('${dir}/images.npy')
x = np.load('${dir}/x.npy').astype(np.float32) / 255
z = np.load('${dir}/z.npy')
print(json.dumps({'keys': sorted(codes.keys()), 'mean': codes['mean'].shape, 'dtype': str(codes['mean'].dtype),
  'images': images.shape, 'imagesDtype': str(images.dtype), 'meanValues': codes['mean'].ravel().tolist(),
  'logVar': codes['log_var'].ravel().tolist(), 'imageValues': images.ravel().tolist(),
  'x': x.ravel().tolist(), 'z': z.ravel().tolist()}))
`,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    assert.equal(read.status, 0, read.stderr);
    const got = JSON.parse(read.stdout);
    assert.deepEqual(got.keys, ['log_var', 'mean']);
    assert.deepEqual(got.mean, [6, 10]);
    assert.equal(got.dtype, 'float32');
    assert.deepEqual(got.images, [5, 64, 64, 1]);
    assert.equal(got.imagesDtype, 'float32');

    // the same weights on the cpu backend, an independent implementation of every kernel
    const { model } = await loadRun(run, 'cpu');
    const reference = tf.tidy(() => {
      const { mean, logVar } = model.encode(tf.tensor4d(got.x, [6, 64, 64, 1]));
      const images = model.decode(tf.tensor2d(got.z, [5, 10]));
      return { mean: mean.dataSync(), logVar: logVar.dataSync(), images: images.dataSync() };
    });
    assertClose(got.meanValues, reference.mean, 1e-4, 'posterior means');
    assertClose(got.logVar, reference.logVar, 1e-4, 'log-variances');
    assertClose(got.imageValues, reference.images, 1e-4, 'decoded images');
  });

  it("reads an .npz member named as FILE.npz:NAME, and bytes 0/1 (dSprites' imgs) as those values", () => {
    const binary = new Uint8Array(2 * 64 * 64);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 11 < 3 ? 1 : 0;
    const bytes = binary.map((v) => v * 255);
    // the layout `untangle data dsprites` writes: several arrays, imgs in bytes 0/1
    writeNpz(join(dir, 'sprites.npz'), {
      imgs: { dtype: 'uint8', shape: [2, 64, 64], data: binary },
      latents_classes: { dtype: 'int32', shape: [2, 1], data: new Int32Array(2) },
    });
    writeNpy(join(dir, 'x255.npy'), { dtype: 'uint8', shape: [2, 64, 64, 1], data: bytes });
    ok(untangle(['encode', run, '--input', `${join(dir, 'sprites.npz')}:imgs`, '--out', join(dir, 'b.npz')]));
    ok(untangle(['encode', run, '--input', join(dir, 'x255.npy'), '--out', join(dir, 'c.npz')]));
    const fromBinary = readNpz(join(dir, 'b.npz')).mean.data as Float32Array;
    const fromBytes = readNpz(join(dir, 'c.npz')).mean.data as Float32Array;
    assert.deepEqual(Array.from(fromBinary), Array.from(fromBytes));
    // and the same codes are not what images at 1/255 give
    writeNpy(join(dir, 'x1.npy'), { dtype: 'uint8', shape: [2, 64, 64, 1], data: binary.map((v) => v * 2) });
    ok(untangle(['encode', run, '--input', join(dir, 'x1.npy'), '--out', join(dir, 'd.npz')]));
    assert.notDeepEqual(
      Array.from(readNpz(join(dir, 'd.npz')).mean.data as Float32Array),
      Array.from(fromBytes),
    );
    assertOneLineError(
      untangle([
        'encode',
        run,
        '--input',
        `${join(dir, 'sprites.npz')}:nothing`,
        '--out',
        join(dir, 'e.npz'),
      ]),
      /sprites\.npz.*nothing/,
    );
  });

  it('encodes a folder of PNGs like the same images as an .npy, and decodes to a grid .png', () => {
    const pngs = join(dir, 'pngs');
    mkdirSync(pngs);
    const bytes = new Uint8Array(3 * 64 * 64);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 13 < 4 ? 255 : 0;
    for (let n = 0; n < 3; n++) {
      const rgb = new Uint8Array(64 * 64 * 3);
      for (let p = 0; p < 64 * 64; p++) rgb.fill(bytes[n * 4096 + p], 3 * p, 3 * p + 3);
      writeFileSync(join(pngs, `img${n + 8}.png`), encodePng({ width: 64, height: 64, rgb }));
    }
    writeNpy(join(dir, 'x3.npy'), { dtype: 'uint8', shape: [3, 64, 64, 1], data: bytes });
    ok(untangle(['encode', run, '--input', pngs, '--out', join(dir, 'from-png.npz')]));
    ok(untangle(['encode', run, '--input', join(dir, 'x3.npy'), '--out', join(dir, 'from-npy.npz')]));
    const fromPng = readNpz(join(dir, 'from-png.npz'));
    const fromNpy = readNpz(join(dir, 'from-npy.npz'));
    assert.deepEqual(fromPng.mean.shape, [3, 10]);
    assert.deepEqual(
      Array.from(fromPng.mean.data as Float32Array),
      Array.from(fromNpy.mean.data as Float32Array),
    );
    assert.deepEqual(
      Array.from(fromPng.log_var.data as Float32Array),
      Array.from(fromNpy.log_var.data as Float32Array),
    );

    ok(
      untangle([
        'decode',
        run,
        '--codes',
        `${join(dir, 'from-npy.npz')}:mean`,
        '--out',
        join(dir, 'grid.png'),
        '--columns',
        '2',
      ]),
    );
    const grid = decodePng(readFileSync(join(dir, 'grid.png')));
    // 2 columns x 2 rows of 64x64 cells with 2 pixels of padding around each
    assert.deepEqual([grid.width, grid.height], [2 * 64 + 3 * 2, 2 * 64 + 3 * 2]);
  });

  it('rejects bad arrays with one line and exit code 2, writing nothing', () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    writeNpy(join(bad, 'nan.npy'), {
      dtype: 'float32',
      shape: [2, 10],
      data: new Float32Array(20).fill(Number.NaN),
    });
    writeNpy(join(bad, 'narrow.npy'), { dtype: 'float32', shape: [2, 9], data: new Float32Array(18) });
    writeNpy(join(bad, 'small.npy'), { dtype: 'uint8', shape: [2, 32, 32], data: new Uint8Array(2048) });
    assertOneLineError(
      untangle(['decode', run, '--codes', join(bad, 'nan.npy'), '--out', join(bad, 'out.npy')]),
      /--codes .*nan\.npy: value NaN at flat index 0, expected finite numbers/,
    );
    assertOneLineError(
      untangle(['decode', run, '--codes', join(bad, 'narrow.npy'), '--out', join(bad, 'out.png')]),
      /--codes .*narrow\.npy: 9 columns, expected 10 for this beta-vae run/,
    );
    assertOneLineError(
      untangle(['encode', run, '--input', join(bad, 'small.npy'), '--out', join(bad, 'out.npz')]),
      /--input .*small\.npy: images of 32x32x1 \(h x w x c\), expected 64x64x1/,
    );
    assert.deepEqual(readdirSync(bad).sort(), ['nan.npy', 'narrow.npy', 'small.npy']);
  });
});
