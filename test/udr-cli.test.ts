import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readResults } from '../src/sweep/aggregate.ts';
import { tempDir, untangle } from './helpers/cli.ts';

// A sweep folder as `untangle sweep` leaves it (results/ID.json, runs/ID): three jobs, two seeds of β = 4
// and one of β = 8, so only the first two have a UDR. To keep the test short they share one tiny trained
// run (the plumbing is under test here; the scores are checked against disentanglement_lib elsewhere).
describe('untangle udr', () => {
  it('scores each run against the other seeds of its setting, and the sweep table shows it', () => {
    const sweep = tempDir('udr-sweep');
    const jobs = [
      { id: 'a', seed: 0, beta: 4 },
      { id: 'b', seed: 1, beta: 4 },
      { id: 'c', seed: 0, beta: 8 },
    ];
    mkdirSync(join(sweep, 'results'), { recursive: true });
    writeFileSync(join(sweep, 'sweep.json'), '{"spec": {}, "jobs": []}\n');
    const runDir = join('runs', 'a');
    const trained = untangle([
      'train',
      '--model',
      'beta-vae',
      '--steps',
      '2',
      '--set',
      'batchSize=8',
      '--set',
      'modelOptions.beta=4',
      '--out',
      join(sweep, runDir),
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    for (const job of jobs) {
      const result = {
        id: job.id,
        model: 'beta-vae',
        dataset: 'dsprites',
        seed: job.seed,
        hyperparameters: { beta: job.beta, seed: job.seed },
        headline: {},
        seconds: 1,
        runDir,
      };
      writeFileSync(join(sweep, 'results', `${job.id}.json`), JSON.stringify(result));
    }
    const out = untangle(['udr', sweep, '--points', '128', '--json']);
    assert.equal(out.status, 0, out.stderr);
    const report = JSON.parse(out.stdout);
    assert.deepEqual(JSON.parse(readFileSync(join(sweep, 'udr.json'), 'utf8')), report);
    const [a, b, c] = report.runs;
    assert.ok(a.udr >= 0 && a.udr <= 1, `udr ${a.udr}`);
    assert.equal(a.udr, b.udr, 'the same model both ways');
    assert.equal(c.udr, null, 'alone in its setting');
    assert.equal(report.pairwise[0][2], null);
    const table = readResults(sweep);
    assert.equal(table.rows.find((r) => r.id === 'a')?.headline.udr, a.udr);
    assert.ok(table.metrics.includes('udr'));

    const bad = untangle(['udr', sweep, '--correlation', 'pearson']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr.trim(), /^[^\n]*--correlation pearson: expected lasso or spearman$/);
  });
});
