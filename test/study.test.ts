import assert from 'node:assert/strict';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../src/io/input-error.ts';
import { runTraining } from '../src/jobs/run-training.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { readLog } from '../src/run/log.ts';
import { spearmanPermutationP } from '../src/sweep/rank-test.ts';
import { runJob } from '../src/sweep/run-job.ts';
import { runStudy, studyJobs } from '../src/sweep/study.ts';
import { STUDY_BUDGETS, studyBudget } from '../src/sweep/study-budgets.ts';
import { readCurve, trainAlongCurve } from '../src/sweep/study-curve.ts';
import { STUDIES, type StudyDefinition } from '../src/sweep/study-definitions.ts';
import {
  checkTrend,
  reportMarkdown,
  type StudyObservation,
  studyPlots,
  studyRows,
  tableMarkdown,
  untrainedSeeds,
} from '../src/sweep/study-report.ts';
import { lastTenth } from '../src/sweep/training-tail.ts';
import { tempDir, untangle } from './helpers/cli.ts';

const obs = (model: string, setting: Record<string, unknown>, seed: number, values: Record<string, number>) =>
  ({ model, setting, seed, values }) as StudyObservation;

describe('study trend checks', () => {
  const points = [
    obs('beta-vae', { beta: 1 }, 0, { mig: 0.05, reconstruction: 30 }),
    obs('beta-vae', { beta: 1 }, 1, { mig: 0.07, reconstruction: 31 }),
    obs('beta-vae', { beta: 4 }, 0, { mig: 0.2, reconstruction: 40 }),
    obs('beta-vae', { beta: 4 }, 1, { mig: 0.1, reconstruction: 42 }),
    obs('factor-vae', { gamma: 35 }, 0, { mig: 0.3, reconstruction: 35 }),
    obs('factor-vae', { gamma: 35 }, 1, { mig: 0.32, reconstruction: 36 }),
  ];
  const rows = studyRows(points, ['mig', 'reconstruction']);

  it('rows are seed means with the sample std', () => {
    const row = rows.find((r) => r.label === 'β-VAE β=4')!;
    assert.equal(row.seeds, 2);
    assert.ok(Math.abs(row.metrics.mig.mean - 0.15) < 1e-12);
    assert.ok(Math.abs(row.metrics.mig.std - Math.sqrt(0.005)) < 1e-12, `${row.metrics.mig.std}`);
  });

  it('a value some seeds lack is the mean of those that have it, marked (n of m) in the table', () => {
    const partial = [...points.slice(0, 3), obs('beta-vae', { beta: 4 }, 1, { mig: 0.1 })];
    const table = tableMarkdown({
      columns: ['mig', 'reconstruction'],
      rows: studyRows(partial, ['mig', 'reconstruction']),
    });
    assert.match(table, /\| β-VAE β=4 \| 2 \| 0\.150 ± 0\.071 \| 40\.000 \(1 of 2\) \|/);
    assert.match(table, /\| β-VAE β=1 \| 2 \| 0\.060 ± 0\.014 \| 30\.500 ± 0\.707 \|/);
  });

  it('rises: Spearman ρ over jobs; holds at permutation p < 0.05, fails at ρ ≤ 0, weak between', () => {
    const rises = { kind: 'rises', model: 'beta-vae', hyperparameter: 'beta', claim: 'c' } as const;
    // ranks of β: 1.5,1.5,3.5,3.5; of MIG: 1,2,4,3 → ρ = 0.894, the largest the ties allow: 2!·2! of the
    // 4! orderings reach it, p = 4/24
    const mig = checkTrend({ ...rises, metric: 'mig' }, points, rows);
    assert.equal(mig.verdict, 'weak');
    assert.match(mig.detail, /ρ\(β, MIG\) = 0\.89 over 4 jobs \(one-sided permutation p = 0\.167\)/);
    assert.equal(checkTrend({ ...rises, kind: 'falls', metric: 'mig' }, points, rows).verdict, 'fails');
    assert.equal(checkTrend({ ...rises, metric: 'kl' }, points, rows).verdict, 'unknown');
    // a third setting in the same order: 2!·2!·2! of 6! orderings reach ρ, p = 8/720
    const grown = [
      ...points,
      obs('beta-vae', { beta: 8 }, 0, { mig: 0.25 }),
      obs('beta-vae', { beta: 8 }, 1, { mig: 0.22 }),
    ];
    const three = checkTrend({ ...rises, metric: 'mig' }, grown, studyRows(grown, ['mig']));
    assert.equal(three.verdict, 'holds');
    assert.match(three.detail, /over 6 jobs \(one-sided permutation p = 0\.011\)/);
  });

  it('the permutation p of Spearman ρ: exact to 8 jobs, a seeded Monte Carlo above', () => {
    assert.equal(spearmanPermutationP([1, 2, 3, 4], [0.1, 0.2, 0.3, 0.4]), 1 / 24);
    assert.equal(spearmanPermutationP([1, 2, 3, 4], [0.4, 0.3, 0.2, 0.1]), 1);
    // ranks 1,2,3 of y against x: ρ = 0.5 when one adjacent pair swaps; orderings with ρ ≥ 0.5: the
    // identity and the two adjacent swaps
    assert.equal(spearmanPermutationP([1, 2, 3], [1, 3, 2]), 3 / 6);
    const x = Array.from({ length: 10 }, (_, i) => i);
    // 10 jobs in order: no drawn ordering reaches ρ = 1 but the +1 correction → 1 / 20,001
    assert.equal(spearmanPermutationP(x, x), 1 / 20_001);
    assert.equal(
      spearmanPermutationP(
        x,
        x.map((v) => -v),
      ),
      1,
    );
    assert.ok(Number.isNaN(spearmanPermutationP([1, 2, 3], [5, 5, 5])));
  });

  it('beats: best setting against best setting, beyond the seed spread; lower is better for losses', () => {
    const beats = { kind: 'beats', better: 'factor-vae', worse: 'beta-vae', claim: 'c' } as const;
    // 0.31 vs 0.15: gap 0.16 > the larger std 0.0707
    assert.equal(checkTrend({ ...beats, metric: 'mig' }, points, rows).verdict, 'holds');
    // reconstruction: lower is better, best β-VAE is β=1 (30.5) vs 35.5: FactorVAE is worse
    assert.equal(checkTrend({ ...beats, metric: 'reconstruction' }, points, rows).verdict, 'fails');
    const close = [
      ...points,
      obs('beta-vae', { beta: 8 }, 0, { mig: 0.3 }),
      obs('beta-vae', { beta: 8 }, 1, { mig: 0.1 }),
    ];
    assert.equal(checkTrend({ ...beats, metric: 'mig' }, close, studyRows(close, ['mig'])).verdict, 'weak');
    // one seed a side: a gap with no spread to judge it against is not evidence
    const single = points.filter((o) => o.seed === 0);
    const one = checkTrend({ ...beats, metric: 'mig' }, single, studyRows(single, ['mig']));
    assert.equal(one.verdict, 'weak');
    assert.match(one.detail, /one seed: not judged/);
  });

  it("lastTenth: the last tenth of the logged steps; JointVAE's KL is its two parts summed", () => {
    const dir = tempDir('last-tenth');
    const entry = (step: number, terms: Record<string, number>) =>
      JSON.stringify({ step, total: 0, ...terms });
    // 20 entries: the last tenth is the last 2
    const lines = Array.from({ length: 20 }, (_, i) =>
      entry(i + 1, { reconstruction: i, klContinuous: 2 * i, klDiscrete: 1 }),
    );
    writeFileSync(join(dir, 'log.jsonl'), `${lines.join('\n')}\n`);
    assert.deepEqual(lastTenth(dir), { reconstruction: (18 + 19) / 2, kl: (37 + 39) / 2 });
    writeFileSync(join(dir, 'log.jsonl'), `${[entry(1, { reconstruction: 5, kl: 3 })].join('\n')}\n`);
    assert.deepEqual(lastTenth(dir), { reconstruction: 5, kl: 3 });
  });

  it("a speech study's report states the FHVAE's steps, not the image budget's", () => {
    const table = {
      ...{ study: 'fhvae', title: 't', claim: 'c', budget: 'quick', command: 'x', note: 'n' },
      train: STUDY_BUDGETS.quick.train,
      columns: ['ldaEer'],
      rows: [],
      checks: [],
    };
    const fhvae = reportMarkdown({ ...table, fhvaeSteps: 600 }, []);
    assert.match(fhvae, /Budget `quick`: 600 FHVAE steps per α/);
    assert.doesNotMatch(fhvae, /1,500 steps/);
    assert.match(reportMarkdown(table, []), /Budget `quick`: 1,500 steps of batch 64/);
  });

  it('beats against jobs that learned nothing (0 active dims) is not judged, and the report names them', () => {
    const beats = {
      kind: 'beats',
      better: 'cascade-vae',
      worse: 'joint-vae',
      metric: 'mig',
      claim: 'c',
    } as const;
    const jobs = [
      ...[0.6, 0.7, 0.5].map((mig, seed) => obs('cascade-vae', {}, seed, { mig, 'active-units': 8 })),
      obs('joint-vae', {}, 0, { mig: 0.6, 'active-units': 10 }),
      obs('joint-vae', {}, 1, { mig: 0, 'active-units': 0 }),
      obs('joint-vae', {}, 2, { mig: 0, 'active-units': 0 }),
    ];
    const rows = studyRows(jobs, ['mig', 'active-units']);
    // gap 0.6 − 0.2 = 0.4 beyond the spread 0.346: it would hold, but two JointVAE seeds are untrained
    const verdict = checkTrend(beats, jobs, rows);
    assert.equal(verdict.verdict, 'weak');
    assert.match(verdict.detail, /JointVAE: 2 of 3 seeds learned nothing/);
    assert.deepEqual([...untrainedSeeds(jobs)], [['JointVAE', [1, 2]]]);
    const report = reportMarkdown(
      {
        ...{ study: 's', title: 't', claim: 'c', budget: 'tiny', command: 'x', note: 'n' },
        train: STUDY_BUDGETS.tiny.train,
        columns: ['mig', 'active-units'],
        rows,
        untrained: Object.fromEntries(untrainedSeeds(jobs)),
        checks: [verdict],
      },
      [],
    );
    assert.match(report, /\*\*Jobs that learned nothing\*\* .*: JointVAE seeds 1, 2\./);
  });

  it('every study builds its sweep at every budget (ids distinct, the curve attached)', () => {
    for (const study of Object.values(STUDIES).filter((s) => s.name !== 'fhvae')) {
      for (const budget of Object.values(STUDY_BUDGETS)) {
        const { jobs } = studyJobs(study, budget, 2);
        assert.equal(new Set(jobs.map((j) => j.id)).size, jobs.length, `${study.name} ${budget.name}`);
        assert.ok(
          jobs.every((j) => j.config.steps === budget.train.steps && j.curve?.steps === budget.curveSteps),
        );
        for (const j of jobs)
          assert.equal(
            j.config.learningRate,
            budget.modelTrain[j.config.model]?.learningRate ?? budget.train.learningRate,
            `${study.name} ${budget.name} ${j.config.model}: the budget's learning rate for this model`,
          );
      }
    }
    const discrete = studyJobs(STUDIES.discrete, STUDY_BUDGETS.quick, 1).jobs;
    assert.deepEqual(
      discrete.map((j) => [
        j.config.model,
        j.config.modelOptions.relieveEvery ?? j.config.modelOptions.capacitySteps,
      ]),
      [
        ['cascade-vae', 75],
        ['joint-vae', 1500],
      ],
      'the schedules scale with the budget',
    );
  });
});

describe('study runs', () => {
  it('training along a curve equals training straight through, and records each point once', async () => {
    const config = resolveTrainConfig({
      model: 'beta-vae',
      dataset: 'dsprites',
      steps: 4,
      batchSize: 8,
      logEvery: 1,
      checkpointEvery: 2,
      learningRate: 1e-3,
      threads: 1,
    });
    const straight = tempDir('curve');
    await runTraining(config, straight, false, { progress: false });
    const sweepDir = tempDir('curve-sweep');
    const staged = tempDir('curve-run');
    writeFileSync(join(staged, 'config.json'), JSON.stringify(config));
    const curve = { steps: [2], metrics: ['mig'], settings: ['mig.numTrain=100'] };
    await trainAlongCurve(sweepDir, 'job', config, curve, staged, false);
    const totals = (dir: string) => readLog(dir).map((e) => e.total);
    assert.deepEqual(totals(staged), totals(straight));
    const points = readCurve(sweepDir, 'job');
    assert.deepEqual(
      points.map((p) => p.step),
      [2, 4],
    );
    assert.ok(points.every((p) => Number.isFinite(p.mig) && Number.isFinite(p.reconstruction)));
    await trainAlongCurve(sweepDir, 'job', config, curve, staged, true);
    assert.equal(readCurve(sweepDir, 'job').length, 2, 'a resumed job adds no point twice');
  });

  it('orders the settings of the box and step plots as the grid does, not as text (γ=10, 35, 100)', () => {
    const observations: StudyObservation[] = [10, 35, 100].flatMap((gamma) =>
      [0, 1].map((seed) => ({
        model: 'factor-vae',
        setting: { gamma },
        seed,
        values: { 'factor-vae-score': 0.5 + seed / 10, mig: 0.1 },
        curve: [{ step: 5, mig: 0.1, 'factor-vae-score': 0.5, reconstruction: 90, kl: 20 }],
      })),
    );
    observations.push({
      model: 'beta-vae',
      setting: { beta: 4 },
      seed: 0,
      values: { 'factor-vae-score': 0.4 },
    });
    const plots = new Map(studyPlots(STUDIES['factor-vs-beta'], observations));
    const order = ['FactorVAE γ=10', 'FactorVAE γ=35', 'FactorVAE γ=100', 'β-VAE β=4'];
    // biome-ignore lint/suspicious/noExplicitAny: reading back the vega-lite spec we built
    const box = plots.get('factor-vae-score-by-setting') as any;
    assert.deepEqual(box.layer[0].encoding.x.sort, order);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    const curve = plots.get('mig-vs-step') as any;
    assert.deepEqual(curve.layer[1].encoding.color.sort, order.slice(0, 3));
  });

  it('runs a two-job study (one job through the sweep pool), writes table, plots, report; a rerun resumes', async () => {
    const study: StudyDefinition = { ...STUDIES.beta, grid: () => ({ 'beta-vae': { beta: [1, 4] } }) };
    const budget = { ...STUDY_BUDGETS.tiny, modelTrain: { 'beta-vae': { learningRate: 5e-4 } } };
    const dir = tempDir('study');
    const options = { seeds: 1, jobs: 1, command: 'untangle study beta --budget tiny' };
    const jobs = studyJobs(study, budget, 1).jobs;
    const results = jobs.map((j) => join(dir, 'results', `${j.id}.json`));
    // the first job runs here (as a worker would); the study finds it done and spawns only the second
    await runJob(dir, jobs[0]);
    const first = statSync(results[0]).mtimeMs;
    const { report, failed } = await runStudy(dir, study, budget, options);
    assert.deepEqual(failed, []);
    assert.equal(statSync(results[0]).mtimeMs, first, 'a finished job is not run again');
    assert.ok(existsSync(join(dir, 'logs', `${jobs[1].id}.log`)), 'the other job ran as a pool process');
    assert.ok(!existsSync(join(dir, 'logs', `${jobs[0].id}.log`)));
    const table = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
    assert.deepEqual(
      table.rows.map((r: { label: string }) => r.label),
      ['β-VAE β=1', 'β-VAE β=4'],
    );
    assert.ok(
      table.rows.every(
        (r: { metrics: Record<string, unknown> }) => 'mig' in r.metrics && 'reconstruction' in r.metrics,
      ),
    );
    assert.equal(table.checks.length, 3);
    assert.match(report, /The seeds' claim.*Higgins et al\. 2017/);
    assert.match(report, /4 steps of batch 8, Adam 0\.001 \(β-VAE: Adam 0\.0005\);/);
    const config = JSON.parse(readFileSync(join(dir, 'runs', jobs[1].id, 'config.json'), 'utf8'));
    assert.equal(config.learningRate, 5e-4, "the model's own learning rate reached its run");
    assert.match(report, /MIG rises with β: \*\*/);
    for (const plot of ['mig-vs-beta.png', 'mig-vs-step.png', 'reconstruction-vs-step.png'])
      assert.ok(statSync(join(dir, 'plots', plot)).size > 1000, plot);
    const before = results.map((r) => statSync(r).mtimeMs);
    await runStudy(dir, study, budget, options);
    assert.deepEqual(
      results.map((r) => statSync(r).mtimeMs),
      before,
      'finished jobs are not run again',
    );
    assert.ok(existsSync(join(dir, 'report.md')));
    // --report-only: the finished jobs' table and report, the unfinished one left untrained
    renameSync(results[1], `${results[1]}.aside`);
    const partial = await runStudy(dir, study, budget, { ...options, reportOnly: true });
    assert.ok(!existsSync(results[1]), 'report-only trains nothing');
    assert.match(partial.report, /\*\*Partial: 1 of 2 jobs finished\.\*\*/);
    const partialTable = JSON.parse(readFileSync(join(dir, 'table.json'), 'utf8'));
    assert.deepEqual(partialTable.progress, { finished: 1, planned: 2 });
    assert.deepEqual(
      partialTable.rows.map((r: { label: string }) => r.label),
      ['β-VAE β=1'],
    );
    renameSync(`${results[1]}.aside`, results[1]);
  });

  it('rejects an unknown study (CLI: one line, exit code 2), budget or fhvae corpus', async () => {
    const dir = tempDir('study-bad');
    const bad = untangle(['study', 'gamma', '--out', dir]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /study gamma: unknown, expected one of beta, factor-vs-beta/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    // the same InputError path (exit code 2 in the CLI), checked here without a process each
    assert.throws(
      () => studyBudget('huge'),
      (e: Error) => e instanceof InputError && /--budget huge: unknown/.test(e.message),
    );
    await assert.rejects(
      runStudy(dir, STUDIES.fhvae, STUDY_BUDGETS.tiny, { seeds: 1, jobs: 1, command: 'c' }),
      (e: Error) => e instanceof InputError && /give --corpus DIR/.test(e.message),
    );
    await assert.rejects(
      runStudy(dir, STUDIES.beta, STUDY_BUDGETS.tiny, { seeds: 1, jobs: 1, command: 'c', reportOnly: true }),
      (e: Error) =>
        e instanceof InputError && /no study here to report on \(no sweep\.json\)/.test(e.message),
    );
  });
});
