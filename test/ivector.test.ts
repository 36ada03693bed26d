import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpeechCorpus, Utterance } from '../src/data/speech/corpus.ts';
import { Rng } from '../src/engine/rng.ts';
import { cholesky, inverseFromCholesky } from '../src/math/cholesky.ts';
import { symmetricEigen } from '../src/math/symmetric-eigen.ts';
import { applyLda, fitLda } from '../src/metrics/speaker-lda.ts';
import { cosineTrials, eer, equalErrorRate, lda } from '../src/metrics/speaker-verification.ts';
import {
  baumWelch,
  type DiagonalGmm,
  extractIvector,
  fitGmm,
  gmmLogLikelihood,
  ivectors,
  trainTotalVariability,
} from '../src/models/ivector.ts';

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

describe('equal error rate', () => {
  it('interpolates the ROC where FNR = FPR (hand-computed 1/4)', () => {
    // sorted: 0.9 T, 0.8 T, 0.7 N, 0.4 T, 0.3 N, 0.2 N, 0.1 N. After 0.7: FPR 1/4, FNR 1/3; after 0.4:
    // FPR 1/4, FNR 0, so the rates cross at 1/4.
    close(equalErrorRate([0.9, 0.8, 0.4, 0.7, 0.3, 0.2, 0.1], [1, 1, 1, 0, 0, 0, 0]), 0.25, 1e-12, 'EER');
    // one target below one non-target of two each: the segment (1/2, 1/2) is hit exactly
    close(equalErrorRate([0.9, 0.3, 0.5, 0.1], [1, 1, 0, 0]), 0.5, 1e-12, 'EER');
    // FNR and FPR cross inside a diagonal step: points (0, 1/2) and (1/2, 0) give 1/4
    close(equalErrorRate([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0]), 0.25, 1e-12, 'tied EER');
  });

  it('is 0 for separated scores, 1 for inverted ones, 1/2 when every score ties', () => {
    assert.equal(equalErrorRate([3, 2, 1, 0], [true, true, false, false]), 0);
    assert.equal(equalErrorRate([0, 1, 2, 3], [true, true, false, false]), 1);
    close(equalErrorRate([1, 1, 1, 1, 1], [1, 0, 0, 1, 0]), 0.5, 1e-12, 'all tied');
    assert.throws(() => equalErrorRate([1, 2], [1, 1]), /needs target and non-target trials, got 2 and 0/);
  });

  it('scores every pair of utterances by cosine, target when the speakers match', () => {
    const vectors = [1, 0, 2, 0, 0, 3, -1, 1];
    const { scores, target } = cosineTrials(vectors, 2, ['a', 'a', 'b', 'b']);
    assert.deepEqual(Array.from(target), [1, 0, 0, 0, 0, 1]);
    const expected = [1, 0, -Math.SQRT1_2, 0, -Math.SQRT1_2, Math.SQRT1_2];
    for (const [i, e] of expected.entries()) close(scores[i], e, 1e-12, `trial ${i}`);
    // both targets score at least as high as every non-target: EER 0
    assert.equal(eer(vectors, 2, ['a', 'a', 'b', 'b']), 0);
  });
});

/**
 * Gaussian classes whose means differ along the first `signal` axes only (tight around them), under
 * large within-class noise with a common offset on the other axes.
 */
function gaussianClasses(rng: Rng, classes: number, perClass: number, dim: number, signal: number) {
  const means = Array.from({ length: classes }, () => Array.from({ length: signal }, () => 3 * rng.normal()));
  const vectors: number[] = [];
  const labels: string[] = [];
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < perClass; i++) {
      for (let f = 0; f < dim; f++)
        vectors.push(f < signal ? means[k][f] + 0.3 * rng.normal() : 20 + 6 * rng.normal());
      labels.push(`c${k}`);
    }
  }
  return { vectors: Float64Array.from(vectors), labels };
}

describe('LDA', () => {
  it('symmetric eigendecomposition reconstructs the matrix', () => {
    const rng = new Rng(2);
    const n = 6;
    const b = Float64Array.from({ length: n * n }, () => rng.normal());
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += b[i * n + k] * b[j * n + k];
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) assert.ok(values[i - 1] >= values[i], 'eigenvalues descending');
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
        close(s, a[i * n + j], 1e-9, `A[${i}][${j}]`);
      }
    }
  });

  it('separates Gaussian classes that raw cosine scoring cannot', () => {
    const rng = new Rng(11);
    // unseen test classes, as test speakers are: LDA must find the axes, not memorise the classes
    const train = gaussianClasses(rng, 12, 30, 10, 4);
    const test = gaussianClasses(rng, 6, 12, 10, 4);
    const raw = eer(test.vectors, 10, test.labels);
    const projected = lda(train.vectors, train.labels, test.vectors, 10, { outDim: 4 });
    assert.equal(projected.dim, 4);
    const after = eer(projected.vectors, 4, test.labels);
    assert.ok(raw > 0.3, `raw EER ${raw}: the noise dims should swamp cosine scoring`);
    assert.ok(after < 0.05, `EER after LDA ${after}`);
  });

  it('solves S_b v = λ S_w v and keeps at most classes − 1 directions', () => {
    const rng = new Rng(5);
    const { vectors, labels } = gaussianClasses(rng, 3, 40, 4, 2);
    const fitted = fitLda(vectors, 4, labels, { regularisation: 0 });
    assert.equal(fitted.outDim, 2);
    // projected training data: within-class scatter is I (whitened), between-class scatter diag(λ)
    const projected = applyLda(fitted, vectors);
    const within = [0, 0, 0];
    const classMean = (k: number, d: number) => {
      let s = 0;
      for (let i = 0; i < 40; i++) s += projected[(k * 40 + i) * 2 + d];
      return s / 40;
    };
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 40; i++) {
        const a = projected[(k * 40 + i) * 2] - classMean(k, 0);
        const b = projected[(k * 40 + i) * 2 + 1] - classMean(k, 1);
        within[0] += a * a;
        within[1] += a * b;
        within[2] += b * b;
      }
    }
    close(within[0], 1, 1e-6, 'within scatter [0][0]');
    close(within[1], 0, 1e-6, 'within scatter [0][1]');
    close(within[2], 1, 1e-6, 'within scatter [1][1]');
    let between = 0;
    for (let k = 0; k < 3; k++) between += 40 * classMean(k, 0) ** 2;
    close(
      between,
      fitted.eigenvalues[0],
      1e-6 * fitted.eigenvalues[0],
      'between scatter along the first direction',
    );
  });
});

describe('GMM-UBM', () => {
  const truth = {
    weights: [0.2, 0.3, 0.5],
    means: [
      [-10, 0],
      [0, 10],
      [10, 0],
    ],
    stds: [
      [1, 2],
      [0.5, 1],
      [1.5, 1],
    ],
  };
  const sample = (n: number, rng: Rng) => {
    const data = new Float64Array(n * 2);
    for (let t = 0; t < n; t++) {
      const u = rng.uniform();
      const c = u < 0.2 ? 0 : u < 0.5 ? 1 : 2;
      for (let f = 0; f < 2; f++) data[t * 2 + f] = truth.means[c][f] + truth.stds[c][f] * rng.normal();
    }
    return { data, n, dim: 2 };
  };

  it('EM raises the likelihood every iteration and recovers separated components', () => {
    const frames = sample(3000, new Rng(1));
    const lls: number[] = [];
    const { gmm, logLikelihood } = fitGmm(frames, new Rng(2), {
      components: 3,
      kmeansIterations: 1,
      ubmIterations: 12,
      varianceFloor: 0.001,
      onIteration: (_, ll) => lls.push(ll),
    });
    assert.deepEqual(lls, logLikelihood);
    for (let i = 1; i < lls.length; i++)
      assert.ok(lls[i] >= lls[i - 1] - 1e-12, `iteration ${i}: ${lls[i - 1]} -> ${lls[i]}`);
    close(gmmLogLikelihood(gmm, frames), lls[lls.length - 1], 0.01, 'final log-likelihood');
    for (let k = 0; k < 3; k++) {
      let c = 0;
      for (let j = 1; j < 3; j++)
        if (Math.abs(gmm.means[j * 2] - truth.means[k][0]) < Math.abs(gmm.means[c * 2] - truth.means[k][0]))
          c = j;
      close(gmm.weights[c], truth.weights[k], 0.03, `weight ${k}`);
      for (let f = 0; f < 2; f++) {
        close(gmm.means[c * 2 + f], truth.means[k][f], 0.15, `mean ${k}.${f}`);
        close(Math.sqrt(gmm.variances[c * 2 + f]), truth.stds[k][f], 0.15, `std ${k}.${f}`);
      }
    }
  });

  it('Baum–Welch statistics: occupancies sum to the frames, first order centred and whitened', () => {
    const one: DiagonalGmm = {
      components: 1,
      dim: 2,
      weights: Float64Array.of(1),
      means: Float64Array.of(1, -1),
      variances: Float64Array.of(4, 0.25),
    };
    const frames = { data: Float64Array.of(3, 0, 1, 1, -1, -2), n: 3, dim: 2 };
    const stats = baumWelch(one, frames);
    close(stats.zeroth[0], 3, 1e-12, 'N');
    close(stats.first[0], (3 + 1 - 1 - 3 * 1) / 2, 1e-12, 'F̃ dim 0');
    close(stats.first[1], (0 + 1 - 2 + 3) / 0.5, 1e-12, 'F̃ dim 1');
  });

  it('Cholesky factor and inverse of a symmetric positive-definite matrix', () => {
    const a = Float64Array.of(4, 2, 0.4, 2, 5, 1, 0.4, 1, 3);
    const l = cholesky(a, 3);
    const inverse = inverseFromCholesky(l, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let ll = 0;
        let identity = 0;
        for (let k = 0; k < 3; k++) {
          ll += l[i * 3 + k] * l[j * 3 + k];
          identity += a[i * 3 + k] * inverse[k * 3 + j];
        }
        close(ll, a[i * 3 + j], 1e-12, `LLᵀ[${i}][${j}]`);
        close(identity, i === j ? 1 : 0, 1e-12, `A A⁻¹[${i}][${j}]`);
      }
    }
    assert.throws(() => cholesky(Float64Array.of(1, 2, 2, 1), 2), /not positive definite/);
  });
});

/**
 * Synthetic "speech": frames from a fixed 8-component GMM in 6 dims, except that each speaker shifts
 * every component's mean by its own offset (scaled by `speakerEffect`), and each utterance adds a
 * little channel offset of its own.
 */
function syntheticCorpus(seed: number, speakerEffect: number): SpeechCorpus {
  const rng = new Rng(seed);
  const C = 8;
  const F = 6;
  const means = Float64Array.from({ length: C * F }, () => 4 * rng.normal());
  const utterances = (prefix: string, speakers: number): Utterance[] => {
    const out: Utterance[] = [];
    for (let s = 0; s < speakers; s++) {
      const shift = Float64Array.from({ length: C * F }, () => speakerEffect * rng.normal());
      for (let u = 0; u < 5; u++) {
        const frames = 150;
        const channel = Float64Array.from({ length: F }, () => 0.2 * rng.normal());
        const features = new Float32Array(frames * F);
        for (let t = 0; t < frames; t++) {
          const c = rng.int(C);
          for (let f = 0; f < F; f++) {
            features[t * F + f] = means[c * F + f] + shift[c * F + f] + channel[f] + rng.normal();
          }
        }
        out.push({ id: `${prefix}${s}-u${u}`, speaker: `${prefix}${s}`, frames, features });
      }
    }
    return out;
  };
  return { bins: F, train: utterances('train', 24), test: utterances('test', 8) };
}

describe('i-vectors', () => {
  const options = { components: 8, ubmIterations: 8, kmeansIterations: 5, tvIterations: 6 };

  it('give a low EER on synthetic speakers with shifted GMM means, chance when speakers are alike', () => {
    const speakers = syntheticCorpus(3, 0.8);
    const { train, test, extractor } = ivectors(speakers, 10, 1, options);
    assert.equal(train.length, 24 * 5 * 10);
    assert.equal(test.length, 8 * 5 * 10);
    assert.ok(extractor.ubmLogLikelihood.every((ll, i, all) => i === 0 || ll >= all[i - 1] - 1e-9));
    const labels = speakers.test.map((u) => u.speaker);
    const raw = eer(test, 10, labels);
    const projected = lda(
      train,
      speakers.train.map((u) => u.speaker),
      test,
      10,
    );
    const withLda = eer(projected.vectors, projected.dim, labels);
    assert.ok(raw < 0.08, `raw i-vector EER ${raw}`);
    assert.ok(withLda < 0.08, `LDA i-vector EER ${withLda}`);

    const alike = syntheticCorpus(3, 0);
    const none = ivectors(alike, 10, 1, options);
    const chance = eer(
      none.test,
      10,
      alike.test.map((u) => u.speaker),
    );
    assert.ok(chance > 0.3, `EER with no speaker effect ${chance}`);
  });

  it('are centred on the training mean, reproducible from the seed, zero for an utterance with no statistics', () => {
    const corpus = syntheticCorpus(4, 0.8);
    const a = ivectors(corpus, 5, 2, options);
    const b = ivectors(corpus, 5, 2, options);
    assert.deepEqual(a.test, b.test);
    for (let d = 0; d < 5; d++) {
      let mean = 0;
      for (let i = 0; i < corpus.train.length; i++) mean += a.train[i * 5 + d] / corpus.train.length;
      close(mean, 0, 1e-5, `train mean, dim ${d}`);
    }
    const empty = extractIvector(a.extractor.tv, {
      zeroth: new Float64Array(8),
      first: new Float64Array(8 * 6),
    });
    assert.deepEqual(Array.from(empty), [0, 0, 0, 0, 0]);
  });

  it('total variability: the posterior second moment of w averages to about the identity', () => {
    const corpus = syntheticCorpus(5, 0.8);
    const { extractor } = ivectors(corpus, 4, 3, { ...options, tvIterations: 1 });
    const stats = corpus.train.map((u) =>
      baumWelch(extractor.ubm, { data: u.features, n: u.frames, dim: 6 }),
    );
    const tv = trainTotalVariability(stats, 8, 6, 4, new Rng(9), { iterations: 3 });
    let trace = 0;
    for (const s of stats) {
      const w = extractIvector(tv, s);
      for (const x of w) trace += (x * x) / stats.length;
    }
    // E[wwᵀ] = mean of E[w]E[w]ᵀ + Cov ≈ I after the divergence step; with 150 frames an utterance the
    // posterior covariance is small, so the means alone carry nearly all of the trace (rank 4)
    assert.ok(trace > 3.5 && trace < 4.2, `trace of the mean E[w]E[w]ᵀ: ${trace}`);
  });
});
