import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../src/engine/rng.ts';
import { betaVaeScore } from '../src/metrics/beta-vae-score.ts';
import { groundTruthSource, poolSource } from '../src/metrics/code-source.ts';
import { dci, dciFromImportance } from '../src/metrics/dci.ts';
import { factorVaeScore } from '../src/metrics/factor-vae-score.ts';
import { irs, quantile } from '../src/metrics/irs.ts';
import { mig } from '../src/metrics/mig.ts';
import { modularityExplicitness, modularityOf } from '../src/metrics/modularity-explicitness.ts';
import { posteriorStats } from '../src/metrics/posterior-stats.ts';
import { sap } from '../src/metrics/sap.ts';
import { parseMetricNames, parseMetricSettings, runMetrics } from '../src/metrics/suite.ts';
import { unsupervised } from '../src/metrics/unsupervised.ts';
import { duplicated, encoderOf, identity, identityData, noise, zeros } from './helpers/identity-data.ts';

// The sanity bounds of disentanglement_lib's own tests (DESIGN §4), on its 10-factor identity data.
const data = identityData();
const source = (encoder = identity(), kind: 'mean' | 'sampled' = 'mean') =>
  groundTruthSource(data, encoder, kind);
const rng = () => new Rng(3);
const small = { numTrain: 2000, numEval: 1000 };

describe('sanity bounds: identity representation scores ~1', () => {
  test('MIG, FactorVAE, BetaVAE, SAP, IRS, modularity in [0.9, 1]', () => {
    const s = source();
    const scores = {
      mig: mig(s, rng()).mig,
      factorVae: factorVaeScore(s, rng(), small).evalAccuracy,
      betaVae: betaVaeScore(s, rng(), small).evalAccuracy,
      // a perfect code of 10-valued factors: SAP's continuous mode (the discrete one is tested below)
      sap: sap(s, rng(), { continuousFactors: 1 }).sap,
      irs: irs(s, rng()).irs,
      modularity: modularityExplicitness(s, rng()).modularity,
    };
    for (const [name, value] of Object.entries(scores)) {
      assert.ok(value >= 0.9 && value <= 1 + 1e-9, `${name} = ${value}`);
    }
  });

  test('SAP in the discrete (SVM) mode: perfect diagonal, the gap bounded by chance of the runner-up', () => {
    const binary = groundTruthSource(identityData(5, 2), identity(5), 'mean');
    const result = sap(binary, rng(), { numTrain: 2000, numTest: 1000 });
    for (let d = 0; d < 5; d++) {
      assert.equal(result.scoreMatrix[d][d], 1);
      for (let f = 0; f < 5; f++) if (f !== d) assert.ok(Math.abs(result.scoreMatrix[d][f] - 0.5) < 0.06);
    }
    // top1 − top2 = 1 − (best chance-level accuracy of another dim) ≈ 0.5
    assert.ok(result.sap > 0.4 && result.sap < 0.55, `sap = ${result.sap}`);
  });

  test('explicitness of the identity is ~1', () => {
    const result = modularityExplicitness(source(), rng(), { numTrain: 3000, numTest: 1000 });
    assert.ok(result.explicitnessTest > 0.9, `explicitness = ${result.explicitnessTest}`);
  });
});

describe('sanity bounds: uninformative and duplicated codes', () => {
  test('all-zero codes: MIG, FactorVAE, SAP <= 0.2, IRS <= 0.1', () => {
    const s = source(zeros());
    assert.ok(mig(s, rng()).mig <= 0.2);
    const factorVae = factorVaeScore(s, rng(), small);
    assert.equal(factorVae.activeDims, 0);
    assert.equal(factorVae.evalAccuracy, 0);
    assert.ok(sap(s, rng(), { numTrain: 2000, numTest: 1000 }).sap <= 0.2);
    assert.ok(irs(s, rng()).irs <= 0.1);
  });

  test('noise codes: MIG and SAP near 0, BetaVAE near chance', () => {
    const s = source(noise());
    assert.ok(mig(s, rng()).mig < 0.05);
    assert.ok(sap(s, rng(), { numTrain: 2000, numTest: 1000 }).sap < 0.05);
    const beta = betaVaeScore(s, rng(), small).evalAccuracy;
    assert.ok(beta < 0.25, `BetaVAE score of noise = ${beta} (chance 0.1)`);
  });

  test('duplicated latents: MIG <= 0.1, SAP <= 0.2, modularity >= 0.9', () => {
    const s = source(duplicated());
    assert.ok(mig(s, rng()).mig <= 0.1);
    assert.ok(sap(s, rng(), { continuousFactors: 1 }).sap <= 0.2);
    assert.ok(modularityExplicitness(s, rng(), { numTrain: 3000, numTest: 1000 }).modularity >= 0.9);
  });

  test('a code that mixes two factors loses modularity and MIG', () => {
    const mixed = encoderOf(10, (x, n) => {
      const out = Float32Array.from(x);
      for (let i = 0; i < n; i++) out[i * 10] = x[i * 10] + x[i * 10 + 1]; // dim 0 = f0 + f1
      return out;
    });
    const s = source(mixed);
    const result = mig(s, rng());
    assert.ok(result.perFactor[0] < 0.8, `MIG of f0 = ${result.perFactor[0]}`);
    assert.ok(result.perFactor[5] > 0.9);
  });
});

describe('definitions against independent computations', () => {
  test('modularity of hand-made MI matrices', () => {
    assert.equal(
      modularityOf([
        [1, 0, 0],
        [0, 2, 0],
      ]),
      1,
    );
    // equal MI with both factors: 1 − 1/(1·1) = 0; a dim with no MI scores 0
    assert.equal(
      modularityOf([
        [1, 1],
        [0, 0],
      ]),
      0,
    );
    // [2, 1, 1]: 1 − (1 + 1)/(4·2) = 0.75
    assert.equal(modularityOf([[2, 1, 1]]), 0.75);
  });

  test('quantile interpolates linearly like numpy.percentile', () => {
    const v = Float64Array.from([4, 1, 3, 2]);
    assert.equal(quantile(v, 0.5), 2.5);
    assert.ok(Math.abs(quantile(v, 0.99) - 3.97) < 1e-12);
    assert.equal(quantile(v, 1), 4);
  });

  test('Gaussian total correlation and Wasserstein correlation of two correlated codes', () => {
    // z0 = u, z1 = u + v: closed forms from the sample covariance (2x2 matrix square root)
    const r = new Rng(11);
    const n = 4000;
    const codes = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      const u = r.normal();
      codes[2 * i] = u;
      codes[2 * i + 1] = u + 0.5 * r.normal();
    }
    const s = poolSource(codes, new Int32Array(n), n, 2);
    const result = unsupervised(s, rng(), { numTrain: n });
    let [m0, m1] = [0, 0];
    for (let i = 0; i < n; i++) [m0, m1] = [m0 + codes[2 * i] / n, m1 + codes[2 * i + 1] / n];
    let [a, b, c] = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      const [d0, d1] = [codes[2 * i] - m0, codes[2 * i + 1] - m1];
      [a, b, c] = [a + (d0 * d0) / (n - 1), b + (d0 * d1) / (n - 1), c + (d1 * d1) / (n - 1)];
    }
    const tc = -0.5 * Math.log(1 - (b * b) / (a * c));
    assert.ok(Math.abs(result.gaussianTotalCorrelation - tc) < 1e-9);
    // M = diag(a, c)·Σ: tr √M = √(tr M + 2√det M)
    const traceM = a * a + c * c;
    const detM = a * c * (a * c - b * b);
    const w = 2 * (a + c) - 2 * Math.sqrt(traceM + 2 * Math.sqrt(detM));
    assert.ok(Math.abs(result.gaussianWassersteinCorrelation - w) < 1e-9);
    assert.ok(result.mutualInfoScore > 0.3, 'dependent codes share information');
  });

  test('KL per dim and active units of a known posterior', () => {
    // dim 0: mean = f0 (varies), logVar 0; dim 1: mean 0, logVar log 4
    const encoder = {
      dim: 2,
      encodePosterior: (x: Float32Array, n: number) => ({
        mean: Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? x[(i / 2) * 10] : 0)),
        logVar: Float32Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 0 : Math.log(4))),
      }),
    };
    const stats = posteriorStats(data, encoder, rng(), { numPoints: 5000 });
    assert.ok(Math.abs(stats.klPerDim[1] - 0.5 * (4 - Math.log(4) - 1)) < 1e-6);
    // E[f0²]/2 for f0 uniform on 0..9 is 28.5/2 = 14.25
    assert.ok(Math.abs(stats.klPerDim[0] - 14.25) < 0.6, `kl0 = ${stats.klPerDim[0]}`);
    assert.equal(stats.activeUnits, 1);
  });
});

describe('code sources', () => {
  test('sampleWithFactor fixes the factor and draws the rest', () => {
    const s = source();
    const batch = s.sampleWithFactor(3, Int32Array.from([7, 7, 2, 5]), rng());
    assert.deepEqual(
      Array.from({ length: 4 }, (_, i) => batch.factors[i * 10 + 3]),
      [7, 7, 2, 5],
    );
    // identity codes equal the factors
    assert.deepEqual(Array.from(batch.codes), Array.from(batch.factors));
  });

  test('a pool draws rows sharing the factor value and splits samples into disjoint rows', () => {
    const n = 500;
    const codes = Float64Array.from({ length: n * 2 }, (_, i) => i);
    const factors = Int32Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? Math.floor(i / 2) % 5 : 7));
    const pool = poolSource(codes, factors, n, 2);
    assert.deepEqual(pool.factorSizes, [5, 1]);
    const batch = pool.sampleWithFactor(0, Int32Array.from([4, 4, 0]), rng());
    for (let i = 0; i < 3; i++) {
      const row = batch.codes[2 * i] / 2;
      assert.equal(row % 5, [4, 4, 0][i], 'the drawn row has the requested factor value');
    }
    const [a, b] = pool.samples([400, 200], rng());
    assert.deepEqual([a.n, b.n], [333, 166], 'scaled down to the pool size, 2:1 kept');
    const rows = new Set([
      ...a.codes.filter((_, i) => i % 2 === 0),
      ...b.codes.filter((_, i) => i % 2 === 0),
    ]);
    assert.equal(rows.size, a.n + b.n, 'train and test rows are disjoint');
  });

  test('sampled codes add posterior noise; means are noiseless', () => {
    const wide = encoderOf(10, (x) => Float32Array.from(x), Math.log(0.25));
    const meanBatch = source(wide, 'mean').sample(2000, rng());
    const sampled = source(wide, 'sampled').sample(2000, rng());
    assert.deepEqual(Array.from(meanBatch.codes), Array.from(meanBatch.factors));
    let sq = 0;
    for (let i = 0; i < sampled.codes.length; i++) sq += (sampled.codes[i] - sampled.factors[i]) ** 2;
    assert.ok(Math.abs(sq / sampled.codes.length - 0.25) < 0.02, 'noise variance exp(logVar)');
  });
});

describe('the suite', () => {
  test('seeded: the same seed gives the same scores whatever else is selected', () => {
    // a deterministic code (a seeded noise encoder would advance its own stream between metrics)
    const scrambled = () =>
      encoderOf(10, (x) =>
        Float32Array.from(x, (v, i) => v + 0.5 * Math.sin(7 * x[i - (i % 10) + ((i + 1) % 10)])),
      );
    const s = source(scrambled(), 'sampled');
    const settings = parseMetricSettings(
      ['mig.numTrain=500', 'sap.numTrain=500', 'sap.numTest=200'],
      ['mig', 'sap'],
    );
    const both = runMetrics(s, ['mig', 'sap'], 5, settings);
    const alone = runMetrics(source(scrambled(), 'sampled'), ['sap'], 5, settings);
    assert.deepEqual(both.sap.result, alone.sap.result);
    const other = runMetrics(source(scrambled(), 'sampled'), ['sap'], 6, settings);
    assert.notDeepEqual(other.sap.result, alone.sap.result);
  });

  test('bad metric names and settings are rejected clearly', () => {
    assert.throws(() => parseMetricNames('mig,foo'), /unknown metric "foo"/);
    assert.throws(() => parseMetricSettings(['mig.bins=0'], ['mig']), /expected a positive integer/);
    assert.throws(() => parseMetricSettings(['mig.binz=3'], ['mig']), /has no option "binz"/);
    assert.throws(() => parseMetricSettings(['sap.numTrain=3'], ['mig']), /not one of the selected/);
    assert.throws(() => parseMetricSettings(['sap.continuousFactors=2'], ['sap']), /expected 0 or 1/);
    assert.deepEqual(parseMetricSettings(['irs.diffQuantile=0.9'], ['irs']), { irs: { diffQuantile: 0.9 } });
  });
});

describe('DCI', () => {
  test('hand-made importance matrices', () => {
    const diagonal = Array.from({ length: 10 }, (_, i) =>
      Array.from({ length: 10 }, (_, j) => (i === j ? 1 : 0)),
    );
    const d = dciFromImportance(diagonal);
    assert.ok(Math.abs(d.disentanglement - 1) < 1e-8 && Math.abs(d.completeness - 1) < 1e-8);
    // one code covering two of ten factors, the others one each: D = 1 − ln2/ln10 on that code
    const shared = diagonal.map((row) => [...row]);
    shared[0][1] = 1;
    shared[1][1] = 0;
    const s = dciFromImportance(shared);
    const d0 = 1 - Math.log(2) / Math.log(10);
    assert.ok(Math.abs(s.disentanglement - ((2 / 10) * d0 + 8 / 10)) < 1e-8, `D = ${s.disentanglement}`);
    assert.ok(Math.abs(s.completeness - 1) < 1e-8);
    const uniform = Array.from({ length: 4 }, () => [1, 1, 1, 1]);
    assert.ok(Math.abs(dciFromImportance(uniform).disentanglement) < 1e-8);
  });

  test('identity codes: D and C near 1; duplicated codes share importance, halving completeness', () => {
    const small = identityData(4, 5);
    const r = dci(groundTruthSource(small, identity(4), 'mean'), rng(), {
      numTrain: 1000,
      numTest: 500,
      stages: 10,
    });
    assert.ok(r.disentanglement > 0.9 && r.completeness > 0.9, JSON.stringify(r));
    assert.equal(r.informativenessTest, 1);
    const dup = dci(groundTruthSource(small, duplicated(4), 'mean'), rng(), {
      numTrain: 1000,
      numTest: 500,
      stages: 10,
    });
    // each factor's importance split evenly between its two identical codes: C = 1 − log 2 / log 8
    assert.ok(Math.abs(dup.completeness - (1 - Math.log(2) / Math.log(8))) < 0.02, `C = ${dup.completeness}`);
    assert.ok(Math.abs(dup.importance[0][0] - dup.importance[4][0]) < 1e-9, 'ties shared');
    assert.ok(dup.disentanglement > 0.9);
  });
});
