import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { createDSprites } from '../src/data/dsprites.ts';
import { createImageFolder } from '../src/data/image-folder.ts';
import { createMnist } from '../src/data/mnist.ts';
import { Rng } from '../src/engine/rng.ts';
import { readNpy, writeNpy } from '../src/io/npy.ts';
import { loadRun } from '../src/run/load-run.ts';
import { presetConfig } from '../src/train/presets.ts';
import { embedCodes } from '../src/viz/embedding-map.ts';
import {
  decodeLatentGrid,
  gridQuantiles,
  latentGridImage,
  standardNormalQuantile,
} from '../src/viz/latent-grid.ts';
import { classFactor, encodeMeans, latentSample, writeLatentPictures } from '../src/viz/latent-pictures.ts';
import { labelledPoints, scatterSpec, scatterSvg } from '../src/viz/latent-scatter.ts';
import { tempDir, untangle } from './helpers/cli.ts';

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual}, expected ${expected} ± ${tolerance}`,
  );

describe('the 2-D latent grid', () => {
  it('Φ⁻¹ matches tabulated quantiles of the standard normal', () => {
    // scipy.stats.norm.ppf to 16 digits
    const table: [number, number][] = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.025, -1.959963984540054],
      [0.8413447460685429, 1],
      [0.001, -3.090232306167813],
      [0.999999, 4.753424308817087],
      [0.525, 0.06270677794321385],
    ];
    for (const [p, z] of table)
      close(standardNormalQuantile(p), z, 2e-8 * Math.max(1, Math.abs(z)), `Φ⁻¹(${p})`);
    assert.throws(() => standardNormalQuantile(1.5), /a probability in \[0, 1\]/);
  });

  it('places 20 points per axis at Φ⁻¹((i + 0.5) / 20): ±1.96 at the ends, symmetric', () => {
    const values = gridQuantiles(20);
    assert.equal(values.length, 20);
    close(values[0], -1.959963984540054, 1e-8, 'first');
    close(values[19], 1.959963984540054, 1e-8, 'last');
    close(values[10], 0.06270677794321385, 1e-8, 'eleventh');
    for (let i = 0; i < 20; i++) close(values[i], -values[19 - i], 1e-12, `symmetry at ${i}`);
  });

  it('decodes z₁ left to right and z₂ bottom to top, each cell from its own code', () => {
    // a decoder that paints its code: a 1x2 image of (z₁, z₂) shifted into [0, 1]
    const calls: number[] = [];
    const grid = decodeLatentGrid({
      size: 5,
      imageShape: [1, 2, 1],
      decode: (codes, n) => {
        calls.push(n);
        return Float32Array.from(codes, (v) => (v + 3) / 6);
      },
    });
    const values = gridQuantiles(5);
    assert.equal(
      calls.reduce((a, b) => a + b, 0),
      25,
    );
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 5; c++) {
        const i = r * 5 + c;
        close(grid.images[2 * i] * 6 - 3, values[c], 1e-5, `z₁ of row ${r} column ${c}`);
        close(grid.images[2 * i + 1] * 6 - 3, values[4 - r], 1e-5, `z₂ of row ${r} column ${c}`);
      }
    }
    const picture = latentGridImage(grid);
    assert.deepEqual([picture.width, picture.height], [10, 5]);
  });
});

describe('the scatter of codes by class', () => {
  it('plots every code at its own coordinates, coloured by its class, with a legend', async () => {
    const means = Float32Array.from([0.5, -1, 2, 0.25, -0.75, 1.5, 0, 0]);
    const labels = Int32Array.from([0, 2, 1, 2]);
    const points = labelledPoints(means, labels, ['zero', 'one', 'two']);
    assert.deepEqual(points, [
      { x: 0.5, y: -1, label: 'zero' },
      { x: 2, y: 0.25, label: 'two' },
      { x: -0.75, y: 1.5, label: 'one' },
      { x: 0, y: 0, label: 'two' },
    ]);
    const spec = scatterSpec(points, { classNames: ['zero', 'one', 'two'], legendTitle: 'digit' }) as {
      data: { values: unknown[] };
    };
    assert.deepEqual(spec.data.values, points);
    const svg = await scatterSvg(points, { classNames: ['zero', 'one', 'two'], legendTitle: 'digit' });
    assert.match(svg, /^<svg/);
    const symbols = svg.match(/<g class="mark-symbol role-mark marks"[^>]*>(.*?)<\/g>/);
    assert.ok(symbols, 'a symbol mark group');
    assert.equal(symbols[1].match(/<path/g)?.length, 4, 'one symbol per code');
    for (const name of ['digit', 'zero', 'one', 'two'])
      assert.ok(svg.includes(`>${name}<`), `legend shows ${name}`);
    assert.throws(
      () => labelledPoints(means, Int32Array.from([0, 5, 1, 2]), ['a', 'b', 'c']),
      /label 5 has no class/,
    );
  });

  it('colours by the one categorical factor: MNIST digits yes, dSprites and unlabelled images no', () => {
    assert.deepEqual(classFactor(createMnist()), {
      name: 'digit',
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
    assert.equal(classFactor(createDSprites()), undefined);
    const dir = tempDir('latent-images');
    writeNpy(join(dir, 'x.npy'), { dtype: 'uint8', shape: [3, 2, 2], data: new Uint8Array(12) });
    assert.equal(classFactor(createImageFolder({ path: join(dir, 'x.npy') })), undefined);
  });
});

describe('the UMAP map of wider codes', () => {
  /** Two Gaussian blobs in 10-D, 8 units apart along every axis. */
  const blobs = () => {
    const rng = new Rng(3);
    const n = 80;
    const codes = new Float64Array(n * 10);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < 10; j++) codes[i * 10 + j] = rng.normal() + (i < n / 2 ? 0 : 8);
    return { codes, n };
  };

  it('gives the same map for the same seed and another for another seed', () => {
    const { codes, n } = blobs();
    const a = embedCodes(codes, n, 10, 7, { epochs: 100 });
    const b = embedCodes(codes, n, 10, 7, { epochs: 100 });
    const c = embedCodes(codes, n, 10, 8, { epochs: 100 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(a.every(Number.isFinite));
  });

  it('keeps two well-separated clusters apart', () => {
    const { codes, n } = blobs();
    const map = embedCodes(codes, n, 10, 1, { epochs: 200 });
    // every point's nearest neighbour in the map is from its own cluster
    let agree = 0;
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bestDistance = Number.POSITIVE_INFINITY;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        const dist = (map[2 * i] - map[2 * j]) ** 2 + (map[2 * i + 1] - map[2 * j + 1]) ** 2;
        if (dist < bestDistance) [best, bestDistance] = [j, dist];
      }
      if (i < n / 2 === best < n / 2) agree++;
    }
    assert.equal(agree, n, `${agree} of ${n} nearest neighbours in the same cluster`);
    const centre = (from: number) =>
      [0, 1].map((k) => {
        let s = 0;
        for (let i = from; i < from + n / 2; i++) s += map[2 * i + k];
        return s / (n / 2);
      });
    const [p, q] = [centre(0), centre(n / 2)];
    const spread = (from: number, c: number[]) => {
      let s = 0;
      for (let i = from; i < from + n / 2; i++) s += Math.hypot(map[2 * i] - c[0], map[2 * i + 1] - c[1]);
      return s / (n / 2);
    };
    const gap = Math.hypot(p[0] - q[0], p[1] - q[1]);
    const within = Math.max(spread(0, p), spread(n / 2, q));
    assert.ok(
      gap > 3 * within,
      `centres ${gap.toFixed(2)} apart, points ${within.toFixed(2)} from their centre`,
    );
  });

  it('refuses fewer codes than neighbours', () => {
    assert.throws(
      () => embedCodes(new Float64Array(20), 10, 2, 0),
      /needs more codes than its 15 neighbours/,
    );
  });
});

describe('untangle train --preset lecture-mnist', () => {
  it('is the lecture MLP: 784-256-64 encoder, latent 2, Bernoulli 64-256-784 decoder', () => {
    assert.deepEqual(presetConfig('lecture-mnist', 'vae'), {
      model: 'vae',
      dataset: 'mnist',
      architecture: 'mlp',
      hidden: [256, 64],
      latentDim: 2,
      batchSize: 100,
      learningRate: 1e-3,
      steps: 10_000,
      logEvery: 50,
    });
  });

  it('writes the latent grid and the scatter of E[z|x] by digit after a short run', async () => {
    const out = join(tempDir('lecture-2d'), 'run');
    const run = untangle([
      ...['train', '--model', 'vae', '--preset', 'lecture-mnist', '--steps', '20', '--threads', '1'],
      ...['--set', 'batchSize=32', '--out', out],
    ]);
    assert.equal(run.status, 0, run.stderr);
    for (const file of [
      'latent-grid.png',
      'latent-scatter.svg',
      'latent-scatter.png',
      'latent-codes.npy',
      'latent-labels.npy',
    ]) {
      assert.ok(existsSync(join(out, file)), file);
    }
    assert.ok(!existsSync(join(out, 'latent-map.svg')), 'no UMAP map for a 2-D latent');

    const { model, data, config } = await loadRun(out);
    const units = (net: tfl.LayersModel) =>
      net.layers.flatMap((l) => ((l.getConfig() as { units?: number }).units ? [l.getConfig().units] : []));
    assert.deepEqual(units(model.nets.encoder), [256, 64, 4]);
    assert.deepEqual(units(model.nets.decoder), [64, 256, 784]);
    const decoded = tf.tidy(() => model.decode(tf.randomNormal([3, 2])).dataSync());
    assert.ok(
      decoded.every((v) => v > 0 && v < 1),
      'the decoder gives Bernoulli means in (0, 1)',
    );

    // the saved codes (the scatter's points) are the encoder's means of the drawn digits
    const codes = readNpy(join(out, 'latent-codes.npy'));
    const labels = readNpy(join(out, 'latent-labels.npy'));
    assert.deepEqual(codes.shape, [2000, 2]);
    const { x, labels: drawn } = latentSample(data, 2000, config.seed);
    assert.deepEqual(labels.data, drawn);
    const means = encodeMeans(model, x, 2000, data.observationShape);
    for (let i = 0; i < means.length; i++) close(codes.data[i] as number, means[i], 1e-5, `code value ${i}`);
    const svg = readFileSync(join(out, 'latent-scatter.svg'), 'utf8');
    const symbols = svg.match(/<g class="mark-symbol role-mark marks"[^>]*>(.*?)<\/g>/);
    assert.equal(symbols?.[1].match(/<path/g)?.length, 2000);
  });

  it('maps a wider latent with UMAP, the same map again from the same seed', async () => {
    const out = join(tempDir('lecture-5d'), 'run');
    const run = untangle([
      ...['train', '--model', 'vae', '--preset', 'lecture-mnist', '--steps', '5', '--threads', '1'],
      ...['--set', 'latentDim=5', '--set', 'batchSize=32', '--out', out],
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(existsSync(join(out, 'latent-map.svg')) && existsSync(join(out, 'latent-map.png')));
    assert.ok(!existsSync(join(out, 'latent-grid.png')), 'no 2-D grid for a 5-D latent');
    const map = readNpy(join(out, 'latent-map.npy'));
    assert.deepEqual(map.shape, [1000, 2]);
    const { model, data, config } = await loadRun(out);
    const again = tempDir('lecture-5d-again');
    const written = await writeLatentPictures(model, data, again, config.seed);
    assert.ok(written.includes(join(again, 'latent-map.svg')));
    assert.deepEqual(readNpy(join(again, 'latent-map.npy')).data, map.data, 'same seed, same map');
  });

  it('says in one line that a run folder is missing', () => {
    const result = untangle(['traverse', join(tempDir('lecture-missing'), 'nothing')]);
    assert.equal(result.status, 2);
    assert.match(
      result.stderr,
      /^untangle: .*nothing is not a run folder: it has no readable config\.json\n$/,
    );
  });
});
