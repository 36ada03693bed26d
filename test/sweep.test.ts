import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { readResults, spearman } from '../src/sweep/aggregate.ts';
import { acquireJobLock, LOCK_STALE_MS, lockPathOf } from '../src/sweep/job-lock.ts';
import { runJob } from '../src/sweep/run-job.ts';
import { dlibUnsupervisedSpec, expandSweep, gridPoints, parseSweepSpec } from '../src/sweep/spec.ts';
import { lastTenth } from '../src/sweep/training-tail.ts';
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
    const spec2 = tinySpec();
    const reordered = { ...spec2, metrics: { ...spec2.metrics, names: [...spec2.metrics.names].reverse() } };
    assert.deepEqual(
      expandSweep(parseSweepSpec({ ...reordered, seeds: [0, 1] }, 'spec')).map((j) => j.id),
      jobs.map((j) => j.id),
      'metrics listed in another order are the same jobs',
    );
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

  it('modelTrain overrides train for its model only, and must name a model of the sweep', () => {
    const raw = {
      models: { 'beta-vae': { beta: [1] }, 'factor-vae': { gamma: [10] } },
      train: { steps: 3, learningRate: 1e-3 },
      modelTrain: { 'factor-vae': { learningRate: 1e-4 } },
    };
    const jobs = expandSweep(parseSweepSpec(raw, 's.json'));
    assert.deepEqual(
      jobs.map((j) => [j.config.model, j.config.learningRate, j.config.steps]),
      [
        ['beta-vae', 1e-3, 3],
        ['factor-vae', 1e-4, 3],
      ],
    );
    assert.throws(
      () => parseSweepSpec({ ...raw, modelTrain: { 'joint-vae': { steps: 2 } } }, 's.json'),
      /s\.json: modelTrain\.joint-vae: not a model of this sweep, expected one of beta-vae, factor-vae/,
    );
    assert.throws(
      () =>
        expandSweep(
          parseSweepSpec({ ...raw, modelTrain: { 'beta-vae': { learningRate: -1 } } }, 's.json'),
          's.json',
        ),
      /s\.json: beta-vae \{"beta":1\}: learningRate/,
    );
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

  it('names the spec file and field of a bad dataset, an empty models, a bad metric name or setting', () => {
    const bad: Array<[object, RegExp]> = [
      [{ datasets: ['dsprites', 'nope'] }, /: s\.json: datasets\.1 \("nope"\): unknown dataset "nope"/],
      [{ datasets: ['images'] }, /: s\.json: datasets\.0 \("images"\): dataset images needs a path/],
      [{ train: { variant: 'neon' } }, /: s\.json: datasets\.0 \("dsprites"\): .*unknown variant "neon"/],
      [{ metrics: { names: ['mig', 'nope'] } }, /: s\.json: metrics\.names: unknown metric "nope"/],
      [
        { metrics: { names: ['mig'], settings: ['mig.nope=3'] } },
        /: s\.json: metrics\.settings mig\.nope=3: mig has no option "nope"/,
      ],
      [{ metrics: { names: ['mig'], settings: ['sap.numTrain=3'] } }, /: s\.json: metrics\.settings sap\./],
    ];
    for (const [change, message] of bad) {
      const spec = parseSweepSpec({ models: { 'beta-vae': { beta: [1] } }, ...change }, 's.json');
      assert.throws(() => expandSweep(spec, 's.json'), message, JSON.stringify(change));
    }
    assert.throws(
      () => parseSweepSpec({ models: {} }, 's.json'),
      /^InputError: s\.json: models: expected at least one model/,
    );
  });

  it('folds duplicate grid points into one job and says so', () => {
    const spec = parseSweepSpec({ models: { 'beta-vae': { beta: [4, 4, 1] } }, seeds: [0, 0] }, 's.json');
    const told: string[] = [];
    const jobs = expandSweep(spec, 's.json', (m) => told.push(m));
    assert.equal(jobs.length, 2);
    assert.equal(new Set(jobs.map((j) => j.id)).size, 2);
    assert.deepEqual(
      jobs.map((j) => [j.config.modelOptions.beta, j.config.seed]),
      [
        [4, 0],
        [1, 0],
      ],
    );
    assert.deepEqual(told, [
      's.json: 4 duplicate grid points (repeated seeds or values) folded: 2 distinct jobs',
    ]);
  });

  it('aggregate names a corrupt result file', () => {
    const dir = tempDir('sweep-corrupt');
    mkdirSync(join(dir, 'results'));
    writeFileSync(join(dir, 'results', 'abc.json'), '{"id": "abc", "headline": {');
    assert.throws(() => readResults(dir), /InputError: .*results\/abc\.json is not valid JSON: /);
  });

  it('Spearman rank correlation with ties', () => {
    assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
    assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
    // ranks [1.5, 1.5, 3] vs [1, 2, 3]: r = 0.866...
    assert.ok(Math.abs(spearman([5, 5, 9], [1, 2, 3]) - Math.sqrt(3) / 2) < 1e-12);
  });
});

describe('sweep job lock', () => {
  const settle = (p: Promise<unknown>, ms: number) =>
    Promise.race([p.then(() => 'taken'), new Promise((r) => setTimeout(() => r('waiting'), ms))]);

  it('lets one process own a job: a second waits until the first releases it', async () => {
    const dir = tempDir('sweep-lock');
    const first = await acquireJobLock(dir, 'job1');
    const second = acquireJobLock(dir, 'job1', { pollMs: 10 });
    assert.equal(await settle(second, 150), 'waiting');
    await first.release();
    assert.equal(await settle(second, 2000), 'taken');
    (await second).release();
  });

  it("takes over a dead process's lock, and a stale one from another machine, not a live one", async () => {
    const dir = tempDir('sweep-lock-stale');
    mkdirSync(join(dir, 'runs'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lockPathOf(dir, 'a'), JSON.stringify({ host: hostname(), pid: dead, token: 'x' }));
    await (await acquireJobLock(dir, 'a')).release();
    const elsewhere = JSON.stringify({ host: 'another-machine', pid: process.pid, token: 'y' });
    writeFileSync(lockPathOf(dir, 'b'), elsewhere);
    const waiting = acquireJobLock(dir, 'b', { pollMs: 10 });
    assert.equal(await settle(waiting, 100), 'waiting', 'renewed recently');
    const old = new Date(Date.now() - LOCK_STALE_MS - 1000);
    utimesSync(lockPathOf(dir, 'b'), old, old);
    assert.equal(await settle(waiting, 2000), 'taken');
    await (await waiting).release();
  });

  it('trains a job once when two owners run it at the same time', async () => {
    const dir = tempDir('sweep-lock-run');
    const [job] = expandSweep(
      parseSweepSpec(
        {
          ...tinySpec(),
          models: { 'beta-vae': { beta: [4] } },
          metrics: { names: ['mig'], settings: ['mig.numTrain=300'] },
        },
        's',
      ),
    );
    const [a, b] = await Promise.all([runJob(dir, job), runJob(dir, job)]);
    assert.deepEqual(a, b);
    const steps = readFileSync(join(dir, 'runs', job.id, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).step);
    assert.deepEqual(steps, [2, 4, 6], 'each step logged once');
    assert.deepEqual(
      a.training,
      lastTenth(join(dir, 'runs', job.id)),
      'the result carries its training tail',
    );
    assert.ok(Number.isFinite(a.training?.reconstruction) && Number.isFinite(a.training?.kl));
    assert.ok(!existsSync(lockPathOf(dir, job.id)), 'the lock is released');
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
