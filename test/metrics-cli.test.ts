import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { encodeNpy, writeNpy } from '../src/io/npy.ts';
import { writeNpz } from '../src/io/npz.ts';
import { groundTruthSource } from '../src/metrics/code-source.ts';
import { modelEncoder } from '../src/metrics/evaluate-run.ts';
import { type MigResult, mig } from '../src/metrics/mig.ts';
import { METRICS, metricRng } from '../src/metrics/suite.ts';
import { loadRun } from '../src/run/load-run.ts';
import { tempDir, untangle } from './helpers/cli.ts';

/** Every metric at sizes that take a moment (the defaults take minutes on a conv64 model). */
const tiny = [
  'beta-vae-score.numTrain=40',
  'beta-vae-score.numEval=20',
  'beta-vae-score.batchSize=8',
  'factor-vae-score.numTrain=40',
  'factor-vae-score.numEval=20',
  'factor-vae-score.batchSize=8',
  'factor-vae-score.numVarianceEstimate=200',
  'mig.numTrain=300',
  'sap.numTrain=200',
  'sap.numTest=100',
  'modularity-explicitness.numTrain=300',
  'modularity-explicitness.numTest=200',
  'irs.numTrain=300',
  'unsupervised.numTrain=300',
  'dci.numTrain=200',
  'dci.numTest=100',
  'dci.stages=5',
  'mig-sup.numTrain=300',
  'jemmig.numTrain=300',
  'dcimig.numTrain=300',
  'z-max-var.numTrain=20',
  'z-max-var.numEval=20',
  'z-max-var.batchSize=8',
  'z-max-var.numVarianceEstimate=200',
  'dci-es.numTrain=200',
  'dci-es.numTest=100',
  'dci-es.maxDepth=2',
  'infomec.numTrain=300',
  'fairness.numTrain=200',
  'fairness.numTestPointsPerClass=4',
  'fairness.stages=3',
  'downstream-logistic.maxTrain=100',
  'downstream-logistic.numTest=100',
  'downstream-gbt.maxTrain=100',
  'downstream-gbt.numTest=100',
].flatMap((s) => ['--set', s]);

function assertOneLineError(result: ReturnType<typeof untangle>, pattern: RegExp): void {
  assert.equal(result.status, 2, `exit code 2, got ${result.status}: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
  assert.match(lines[0], pattern);
}

describe('untangle evaluate', () => {
  it('scores a trained run on mean and sampled codes and merges later evaluations into metrics.json', () => {
    const run = join(tempDir('evaluate'), 'run');
    const trained = untangle([
      'train',
      '--model',
      'beta-vae',
      '--steps',
      '3',
      '--set',
      'batchSize=8',
      '--out',
      run,
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    const result = untangle(['evaluate', run, '--seed', '4', '--metrics', 'all', ...tiny, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    assert.deepEqual(JSON.parse(result.stdout), report, '--json prints what metrics.json holds');
    for (const kind of ['mean', 'sampled']) {
      assert.deepEqual(Object.keys(report.codes[kind]), Object.keys(METRICS), `${kind}: every metric`);
    }
    assert.equal(report.codes.mean.mig.options.numTrain, 300, 'the options used are recorded');
    assert.equal(report.posterior.klPerDim.length, 10);
    for (const name of [
      'mig',
      'sap',
      'beta-vae-score',
      'factor-vae-score',
      'modularity',
      'irs',
      'mig-sup',
      'jemmig',
      'dcimig',
      'dci-es-explicitness',
      'info-m',
      'info-c',
    ]) {
      const value = report.headline[name];
      assert.ok(value >= 0 && value <= 1, `${name} = ${value}`);
    }
    assert.match(report.migVariant, /discretized/);

    // a second evaluation of one metric keeps the others (same seed) and reproduces its value
    const again = untangle([
      'evaluate',
      run,
      '--seed',
      '4',
      '--metrics',
      'mig',
      '--codes',
      'mean',
      ...tiny.slice(14, 16),
    ]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /mig\.mig/);
    const merged = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    assert.deepEqual(Object.keys(merged.codes.mean), Object.keys(METRICS));
    assert.deepEqual(merged.codes.mean.mig.result, report.codes.mean.mig.result);
  });

  it("mig.estimator=1: Chen et al.'s sampling MIG through the CLI equals mig() on the run's own encoder", async () => {
    const run = join(tempDir('evaluate-sampling-mig'), 'run');
    const trained = untangle([
      'train',
      '--model',
      'beta-vae',
      '--steps',
      '2',
      '--set',
      'batchSize=8',
      '--out',
      run,
    ]);
    assert.equal(trained.status, 0, trained.stderr);
    const options = { numTrain: 200, estimator: 1, entropySamples: 50 };
    const set = Object.entries(options).flatMap(([key, value]) => ['--set', `mig.${key}=${value}`]);
    const result = untangle(['evaluate', run, '--seed', '6', '--metrics', 'mig', '--codes', 'mean', ...set]);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(readFileSync(join(run, 'metrics.json'), 'utf8'));
    const cli = report.codes.mean.mig.result as MigResult;
    assert.match(report.migVariant, /sampling/);
    // the same run loaded here: its encoder on the same ground-truth points, the metric's own random stream
    const { model, data } = await loadRun(run);
    const source = groundTruthSource(data, modelEncoder(model, data.observationShape), 'mean', {
      batchSize: 256,
    });
    const direct = mig(source, metricRng(6, 'mig'), options);
    assert.equal(direct.variant, cli.variant);
    assert.match(direct.variant, /Chen/);
    direct.mutualInformation.flat().forEach((v, i) => {
      assert.ok(
        Math.abs(v - cli.mutualInformation.flat()[i]) < 1e-9,
        `MI ${i}: ${v} vs ${cli.mutualInformation.flat()[i]}`,
      );
    });
    assert.ok(Math.abs(direct.mig - cli.mig) < 1e-9, `MIG ${direct.mig} vs ${cli.mig}`);
  });

  it('rejects bad input with one line and exit code 2', () => {
    const dir = tempDir('evaluate-bad');
    assertOneLineError(untangle(['evaluate', dir]), /is not a run folder/);
    assertOneLineError(untangle(['evaluate', dir, '--metrics', 'mig,nope']), /unknown metric "nope"/);
    assertOneLineError(
      untangle(['evaluate', dir, '--codes', 'median']),
      /--codes median: expected mean, sampled/,
    );
    assertOneLineError(untangle(['evaluate', dir, '--set', 'mig.numTrain=x']), /expected a positive integer/);
  });
});

describe('untangle metrics', () => {
  const dir = tempDir('metrics');
  // 2,000 points of 4 factors; code dim d carries factor d plus small noise, dim 4 is noise
  const rng = new Rng(2);
  const n = 2000;
  const factors = new Int32Array(n * 4);
  const codes = new Float32Array(n * 5);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < 4; f++) {
      factors[i * 4 + f] = rng.int([3, 5, 8, 4][f]);
      codes[i * 5 + f] = factors[i * 4 + f] + 0.05 * rng.normal();
    }
    codes[i * 5 + 4] = rng.normal();
  }
  const codesPath = join(dir, 'z.npy');
  const factorsPath = join(dir, 'y.npy');
  writeNpy(codesPath, { dtype: 'float32', shape: [n, 5], data: codes });
  writeNpy(factorsPath, { dtype: 'int32', shape: [n, 4], data: factors });

  it('scores codes from .npy files: a code that carries each factor in one dim scores high', () => {
    const out = join(dir, 'scores.json');
    const result = untangle([
      'metrics',
      '--codes',
      codesPath,
      '--factors',
      factorsPath,
      '--metrics',
      'mig,factor-vae-score,beta-vae-score,irs',
      '--set',
      'factor-vae-score.numTrain=300',
      '--set',
      'factor-vae-score.numEval=200',
      '--set',
      'beta-vae-score.numTrain=300',
      '--set',
      'beta-vae-score.numEval=200',
      '--json',
      '--out',
      out,
    ]);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), report);
    assert.equal(report.points, n);
    assert.ok(report.headline.mig > 0.8, `mig = ${report.headline.mig}`);
    assert.ok(report.headline['factor-vae-score'] > 0.95);
    assert.ok(report.headline['beta-vae-score'] > 0.9);
    // IRS: the four factor dims are robust; the noise dim (weighted by its large spread) pulls the mean down
    const perDim: number[] = report.metrics.irs.result.perDim;
    assert.ok(perDim.slice(0, 4).every((v) => v > 0.85) && perDim[4] < 0.5, `IRS per dim ${perDim}`);
  });

  it('reads a named .npz member and float64/int64/uint8 arrays', () => {
    const npz = join(dir, 'pool.npz');
    writeNpz(npz, {
      z: { dtype: 'float64', shape: [n, 5], data: Float64Array.from(codes) },
      y: { dtype: 'int64', shape: [n, 4], data: BigInt64Array.from(factors, (v) => BigInt(v)) },
    });
    const y8 = join(dir, 'y8.npy');
    writeNpy(y8, { dtype: 'uint8', shape: [n, 4], data: Uint8Array.from(factors) });
    const fromNpz = untangle([
      'metrics',
      '--codes',
      `${npz}:z`,
      '--factors',
      `${npz}:y`,
      '--metrics',
      'mig',
      '--json',
    ]);
    const fromU8 = untangle(['metrics', '--codes', codesPath, '--factors', y8, '--metrics', 'mig', '--json']);
    assert.equal(fromNpz.status, 0, fromNpz.stderr);
    assert.equal(fromU8.status, 0, fromU8.stderr);
    assert.equal(JSON.parse(fromNpz.stdout).headline.mig, JSON.parse(fromU8.stdout).headline.mig);
  });

  it('--continuous and --log-variances: factors regressed or binned, the sampling MIG; bad input refused', () => {
    // shape (factor 0) and posX, a continuous factor that code dim 1 carries with noise
    const y = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      y[i * 2] = factors[i * 4];
      y[i * 2 + 1] = 0.2 * codes[i * 5 + 1] + 0.01 * rng.normal();
    }
    const yPath = join(dir, 'continuous.npy');
    writeNpy(yPath, { dtype: 'float64', shape: [n, 2], data: y });
    const base = ['metrics', '--codes', codesPath, '--factors', yPath, '--factor-names', 'shape,posX'];
    const result = untangle([
      ...base,
      '--continuous',
      'posX',
      '--metrics',
      'dci,sap,mig',
      '--set',
      'dci.numTrain=300',
      '--set',
      'dci.numTest=200',
      '--set',
      'dci.stages=20',
      '--json',
    ]);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.continuous, ['posX']);
    assert.equal(report.bins, 20);
    const dci = report.metrics.dci.result;
    assert.ok(dci.informativenessTest > 0.85, `accuracy of shape and R² of posX: ${dci.informativenessTest}`);
    assert.ok(
      dci.importance[1][1] > 0.8,
      `posX is found in dim 1: ${dci.importance.map((r: number[]) => r[1])}`,
    );
    const sap = report.metrics.sap.result.scoreMatrix;
    assert.ok(sap[1][1] > 0.95, `squared correlation of dim 1 and posX: ${sap[1][1]}`);
    assert.ok(report.headline.mig > 0.5, `MIG on posX in 20 bins: ${report.headline.mig}`);
    assertOneLineError(
      untangle([...base, '--continuous', 'posY']),
      /--continuous posY: "posY" is not a factor/,
    );
    assertOneLineError(
      untangle([...base, '--metrics', 'mig']),
      /continuous\.npy: value .* of factor posX \(expected integer factor values; name a continuous factor/,
    );
    assertOneLineError(
      untangle([...base, '--continuous', '1', '--metrics', 'fairness']),
      /^untangle: fairness: factor posX is continuous/,
    );
    assertOneLineError(
      untangle([...base, '--continuous', 'posX', '--bins', '1']),
      /--bins 1: expected at least 2/,
    );
    // Chen et al.'s MIG: the posteriors' log-variances beside the means, the shape of --codes
    const sampled = untangle([
      ...['metrics', '--codes', codesPath, '--factors', factorsPath, '--log-variances', codesPath],
      ...['--metrics', 'mig', '--set', 'mig.estimator=1', '--set', 'mig.entropySamples=100', '--json'],
    ]);
    assert.equal(sampled.status, 0, sampled.stderr);
    assert.match(JSON.parse(sampled.stdout).migVariant, /sampling \(Chen et al\. 2018\)/);
    const plain = ['metrics', '--codes', codesPath, '--factors', factorsPath, '--metrics', 'mig'];
    assertOneLineError(
      untangle([...plain, '--set', 'mig.estimator=1']),
      /mig\.estimator=1 .* needs the posteriors' log-variances/,
    );
    assertOneLineError(
      untangle([...plain, '--log-variances', factorsPath]),
      /--log-variances .*y\.npy: shape \[2000,4\], expected \[2000,5\] like --codes/,
    );
  });

  it('rejects malformed arrays with one line naming the file and exit code 2', () => {
    const write = (name: string, bytes: Uint8Array | string) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    };
    const npy = (dtype: 'float32' | 'int32', shape: number[], data: Float32Array | Int32Array) =>
      encodeNpy({ dtype, shape, data });
    const fortran = Buffer.from(npy('float32', [n, 5], codes))
      .toString('latin1')
      .replace("'fortran_order': False", "'fortran_order': True ");
    const half = Buffer.from(npy('float32', [n, 5], codes))
      .toString('latin1')
      .replace("'<f4'", "'<f2'");
    const cases: [string[], RegExp][] = [
      [
        ['--codes', write('fortran.npy', Buffer.from(fortran, 'latin1')), '--factors', factorsPath],
        /fortran\.npy: Fortran-ordered/,
      ],
      [
        ['--codes', write('half.npy', Buffer.from(half, 'latin1')), '--factors', factorsPath],
        /half\.npy: unsupported dtype '<f2'/,
      ],
      [['--codes', write('text.npy', 'hello'), '--factors', factorsPath], /text\.npy: not a \.npy file/],
      [
        [
          '--codes',
          codesPath,
          '--factors',
          write('short.npy', npy('int32', [10, 4], factors.subarray(0, 40))),
        ],
        /10 rows, expected 2000/,
      ],
      [
        ['--codes', write('flat.npy', npy('float32', [n * 5], codes)), '--factors', factorsPath],
        /shape \[10000\], expected \[n, dim\]/,
      ],
      [
        ['--codes', codesPath, '--factors', write('frac.npy', npy('float32', [n, 5], codes))],
        /frac\.npy: value .*expected integer factor values/,
      ],
      [['--codes', codesPath, '--factors', join(dir, 'missing.npy')], /missing\.npy/],
      [['--codes', join(dir, 'pool.npz'), '--factors', factorsPath], /holds 2 arrays \(z, y\); name one/],
      [['--codes', codesPath, '--factors', factorsPath, '--metrics', 'dcx'], /unknown metric "dcx"/],
      // no columns: used to crash with "Cannot read properties of undefined"
      [
        [
          '--codes',
          write('empty.npy', npy('float32', [n, 0], new Float32Array(0))),
          '--factors',
          factorsPath,
        ],
        /empty\.npy: shape \[2000,0\], expected at least 1 column/,
      ],
      [
        ['--codes', codesPath, '--factors', write('nofactor.npy', npy('int32', [n, 0], new Int32Array(0)))],
        /nofactor\.npy: shape \[2000,0\], expected at least 1 column/,
      ],
      // --out a folder, or in a missing one: named as --out, before any metric runs (not the temp file)
      [
        ['--codes', codesPath, '--factors', factorsPath, '--metrics', 'mig', '--out', dir],
        /--out .*: is a folder, expected a file name/,
      ],
      [
        [
          '--codes',
          codesPath,
          '--factors',
          factorsPath,
          '--metrics',
          'mig',
          '--out',
          join(dir, 'no', 'm.json'),
        ],
        /--out .*m\.json: folder .*no does not exist/,
      ],
    ];
    for (const [args, pattern] of cases) assertOneLineError(untangle(['metrics', ...args]), pattern);
  });
});
