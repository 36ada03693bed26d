import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { spearman } from '../src/sweep/aggregate.ts';
import { dlibUnsupervisedSpec, expandSweep, gridPoints, parseSweepSpec } from '../src/sweep/spec.ts';
import { tempDir, untangle } from './helpers/cli.ts';
import { tinySpec } from './helpers/sweep-spec.ts';

describe('sweep grid', () => {
  it('expands models × hyperparameters × datasets × seeds with deterministic ids', () => {
    assert.deepEqual(gridPoints({ a: [1, 2], b: ['x'] }), [
      { a: 1, b: 'x' },
      { a: 2, b: 'x' },
    ]);
    const spec = parseSweepSpec({ ...tinySpec(), seeds: [0, 1] }, 'spec');
    const jobs = expandSweep(spec);
    assert.equal(jobs.length, 8);
    assert.equal(new Set(jobs.map((j) => j.id)).size, 8);
    assert.deepEqual(
      expandSweep(parseSweepSpec({ ...tinySpec(), seeds: [0, 1] }, 'spec')).map((j) => j.id),
      jobs.map((j) => j.id),
      'the same spec gives the same ids',
    );
    const longer = expandSweep(parseSweepSpec({ ...tinySpec(7), seeds: [0, 1] }, 'spec'));
    assert.equal(
      longer.filter((j) => jobs.some((k) => k.id === j.id)).length,
      0,
      'a changed config is a new job',
    );
    assert.equal(jobs[0].config.modelOptions.beta, 1);
  });

  it('the dlib-unsupervised preset: six models × six values × seeds, or a subset', () => {
    assert.equal(expandSweep(dlibUnsupervisedSpec([], 2)).length, 6 * 6 * 2);
    const subset = expandSweep(dlibUnsupervisedSpec(['factor-vae'], 1));
    assert.deepEqual(
      subset.map((j) => j.config.modelOptions.gamma),
      [10, 20, 30, 40, 50, 100],
    );
    assert.equal(subset[0].config.steps, 300_000);
  });

  it('rejects bad specs with the field named', () => {
    assert.throws(
      () => parseSweepSpec({ models: { nope: {} } }, 's.json'),
      /s\.json: models\.nope: unknown model/,
    );
    assert.throws(() => parseSweepSpec({ models: {}, seeds: [-1] }, 's.json'), /s\.json: seeds\.0/);
    assert.throws(
      () => expandSweep(parseSweepSpec({ models: { 'beta-vae': { beta: [-2] } } }, 's.json'), 's.json'),
      /s\.json: beta-vae \{"beta":-2\}: modelOptions\.beta/,
    );
  });

  it('Spearman rank correlation with ties', () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // ranks [1.5, 1.5, 3] vs [1, 2, 3]: r = 0.866...
    assert.ok(Math.abs(spearman([5, 5, 9], [1, 2, 3]) - Math.sqrt(3) / 2) < 1e-12);
  });
});

describe('untangle sweep (local) and aggregate', () => {
  it('runs every job once, skips them when re-submitted, and aggregates a table and plots', () => {
    const dir = tempDir('sweep');
    const specPath = join(dir, 'spec.json');
    writeFileSync(specPath, JSON.stringify(tinySpec()));
    const out = join(dir, 'sweep');
    const first = untangle(['sweep', specPath, '--out', out, '--jobs', '2']);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /4\/4 jobs finished/);
    assert.equal(readdirSync(join(out, 'results')).length, 4);
    const logs = readdirSync(join(out, 'logs'));

    const again = untangle(['sweep', specPath, '--out', out, '--jobs', '2']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /4 finished earlier/);
    assert.deepEqual(readdirSync(join(out, 'logs')), logs, 'nothing ran again');

    const agg = untangle(['aggregate', out]);
    assert.equal(agg.status, 0, agg.stderr);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 5);
    assert.equal(csv[0], 'id,model,dataset,seed,beta,lambdaOffDiagonal,active-units,irs,mig,sap');
    const table = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    assert.deepEqual(table.rows.map((r: { model: string }) => r.model).sort(), [
      'beta-vae',
      'beta-vae',
      'dip-vae-i',
      'dip-vae-i',
    ]);
    for (const plot of ['mig', 'sap', 'rank-correlation']) {
      const svg = readFileSync(join(out, 'plots', `${plot}.svg`), 'utf8');
      assert.match(svg, /^<svg/);
      // the PNG is the SVG rasterised at twice its size, and not blank
      const png = PNG.sync.read(readFileSync(join(out, 'plots', `${plot}.png`)));
      assert.equal(png.width, 2 * Number(/width="(\d+(?:\.\d+)?)"/.exec(svg)![1]));
      assert.ok(new Set(png.data).size > 2, `${plot}.png has drawing on it`);
    }
    assert.ok(existsSync(join(out, 'runs', table.rows[0].id, 'metrics.json')));
  });

  it('rejects a missing spec and a non-sweep folder clearly', () => {
    const dir = tempDir('sweep-bad');
    const missing = untangle(['sweep', join(dir, 'nope.json'), '--out', join(dir, 'o')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.json/);
    const agg = untangle(['aggregate', dir]);
    assert.equal(agg.status, 2);
    assert.match(agg.stderr, /is not a sweep folder/);
  });
});
