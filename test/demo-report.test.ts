import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demoReport, factorNote, namedFactors } from '../src/cli/demo-report.ts';
import type { RgbImage } from '../src/io/png.ts';
import { latentFactors } from '../src/metrics/latent-factors.ts';
import { migFromSample } from '../src/metrics/mig.ts';
import { imageGrid } from '../src/viz/image-grid.ts';
import { gridCentres, withColumnLabels, withRowLabels } from '../src/viz/picture-labels.ts';

describe('latentFactors: the factor each dim captures, and how exclusively', () => {
  // MI [dim][factor] in nats; H = [ln 2, ln 4]
  const h = [Math.log(2), Math.log(4)];
  const mi = [
    [0.1 * h[0], 0.8 * h[1]], // z0: mostly factor b
    [0.6 * h[0], 0.3 * h[1]], // z1: factor a, but not exclusively
    [0.05 * h[0], 0.5 * h[1]], // z2: factor b, behind z0
  ];
  it('picks the largest I/H and computes share and lead by hand', () => {
    const out = latentFactors(mi, h, ['a', 'b'], [0, 1, 2]);
    const near = (x: number, y: number, what: string) =>
      assert.ok(Math.abs(x - y) < 1e-12, `${what}: ${x} vs ${y}`);
    assert.deepEqual(
      out.map((f) => f.factor),
      ['b', 'a', 'b'],
    );
    near(out[0].normalizedMi, 0.8, 'z0 I/H');
    near(out[0].share, 0.8 / 0.9, 'z0 share');
    near(out[0].lead, 0.8 - 0.5, 'z0 lead over z2');
    near(out[1].share, 0.6 / 0.9, 'z1 share');
    near(out[1].lead, 0.6 - 0.1, 'z1 lead over z0');
    near(out[2].lead, 0.5 - 0.8, 'z2 is behind z0 on b');
    assert.deepEqual(namedFactors(out), ['b', 'a']);
    assert.equal(factorNote(out[0]), 'b 0.80 (89%)');
  });

  it('on codes that copy the factors, each dim captures its own factor fully (via MIG)', () => {
    const n = 4000;
    const factors = new Int32Array(n * 2);
    const codes = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      factors[2 * i] = i % 4;
      factors[2 * i + 1] = Math.floor(i / 4) % 5;
      codes[3 * i] = factors[2 * i + 1];
      codes[3 * i + 1] = factors[2 * i];
      codes[3 * i + 2] = (i * 7919) % 13; // noise
    }
    const m = migFromSample(codes, factors, n, 3, 2, 20);
    assert.ok(Math.abs(m.factorEntropy[0] - Math.log(4)) < 1e-12, `H(a) = ln 4, got ${m.factorEntropy[0]}`);
    const out = latentFactors(m.mutualInformation, m.factorEntropy, ['a', 'b'], [0, 1]);
    assert.deepEqual(
      out.map((f) => [f.dim, f.factor]),
      [
        [0, 'b'],
        [1, 'a'],
      ],
    );
    for (const f of out) assert.ok(f.normalizedMi > 0.999 && f.lead > 0.9, JSON.stringify(f));
  });
});

describe('traversal labels drawn as SVG text by resvg', () => {
  const cell = { data: new Float32Array(32 * 32).fill(1), height: 32, width: 32, channels: 1 };
  const grid = imageGrid(
    [
      [cell, cell],
      [cell, cell],
      [cell, cell],
    ],
    { padding: 2, background: 0 },
  );
  const inked = (image: RgbImage, x0: number, x1: number, y0: number, y1: number) => {
    let count = 0;
    for (let y = y0; y < y1; y++)
      for (let x = x0; x < x1; x++) if (image.rgb[(y * image.width + x) * 3] > 100) count++;
    return count;
  };

  it('puts a label column left of the grid, text in each labelled row, the grid untouched', () => {
    const out = withRowLabels(
      grid,
      ['z3 · KL 2.31', '', ['z1 · KL 0.50', 'posX 0.72 (89%)']],
      gridCentres(3, 32, 2),
      {
        background: 0,
      },
    );
    const left = out.width - grid.width;
    assert.ok(left > 40, `label column ${left} px`);
    assert.equal(out.height, grid.height);
    for (let y = 0; y < grid.height; y++) {
      const a = out.rgb.subarray((y * out.width + left) * 3, (y * out.width + out.width) * 3);
      assert.deepEqual(a, grid.rgb.subarray(y * grid.width * 3, (y + 1) * grid.width * 3), `grid row ${y}`);
    }
    const band = (r: number) => inked(out, 0, left, 2 + r * 34, 2 + r * 34 + 32);
    assert.ok(band(0) > 10, `row 0 has text (${band(0)} px)`);
    assert.equal(band(1), 0, 'row 1 has no label');
    assert.ok(band(2) > band(0), 'two lines ink more than one');
  });

  it('puts a label row under a frame, one label per column', () => {
    const frame = imageGrid([[cell, cell, cell, cell]], { padding: 2, background: 0 });
    const out = withColumnLabels(frame, ['a', 'b', '', 'd'], gridCentres(4, 32, 2), { background: 0 });
    assert.equal(out.width, frame.width);
    assert.ok(out.height > frame.height);
    const col = (c: number) => inked(out, 2 + c * 34, 2 + c * 34 + 32, frame.height, out.height);
    assert.ok(col(0) > 0 && col(1) > 0 && col(3) > 0, 'labelled columns have text');
    assert.equal(col(2), 0, 'the unlabelled column has none');
  });
});

describe('demo report', () => {
  it('gives MIG, the FactorVAE score and each active dim’s factor', () => {
    const text = demoReport({
      title: 'demo',
      recipe: 'lr 1e-3',
      seconds: 10,
      batchSize: 64,
      log: [
        { step: 10, total: 500, reconstruction: 499, kl: 1 },
        { step: 100, total: 100, reconstruction: 80, kl: 20 },
      ],
      klPerDim: [5, 0.001, 3],
      factors: [
        { dim: 0, factor: 'posX', normalizedMi: 0.7, share: 0.9, lead: 0.6 },
        { dim: 2, factor: 'scale', normalizedMi: 0.1, share: 0.5, lead: 0.05 },
      ],
      factorNames: ['scale', 'posX'],
      mig: 0.321,
      migSample: '10,000 points',
      factorVaeScore: 0.654,
      factorVaeSample: 'small',
    });
    assert.match(text, /MIG 0\.321/);
    assert.match(text, /FactorVAE score 0\.654\*\* \(small sample/);
    assert.match(text, /\| z0 \| 5\.00 \| posX \| 0\.70 \| 90% \| 0\.60 \|/);
    // scale holds only 0.1 of its entropy: not named
    assert.match(text, /named by a row: posX; not captured by any dim on its own: scale\./);
    assert.match(text, /6400 img\/s|640 img\/s/);
  });
});
