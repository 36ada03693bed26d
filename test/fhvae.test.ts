import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fhvaeTableRows, formatTable, type VerificationTools } from '../src/cli/fhvae-table.ts';
import type { SpeechCorpus, Utterance } from '../src/data/speech/corpus.ts';
import { CORPUS_FORMAT, FEATURES_FILE, MANIFEST_FILE, manifestSchema } from '../src/data/speech/manifest.ts';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { loadLayersWeights, saveLayersModel } from '../src/io/layers-model-files.ts';
import type { NpyArray } from '../src/io/npy.ts';
import { writeNpz } from '../src/io/npz.ts';
import { decodePng } from '../src/io/png.ts';
import {
  createFhvae,
  encodeSegments,
  encodeUtterances,
  estimateMu2,
  type Fhvae,
  fhvaeLoss,
  fhvaeOptions,
  gatherRows,
  MU2_PRIOR_VARIANCE,
  mapMu2,
  Z2_PRIOR_VARIANCE,
} from '../src/models/fhvae.ts';
import { gatherSegments, segmentIndex, segmentStarts } from '../src/models/fhvae-segments.ts';
import { resolveSequenceConfig } from '../src/run/config.ts';
import { loadFhvaeRun, saveRunConfig } from '../src/run/load-run.ts';
import { readLog } from '../src/run/log.ts';
import { buildSequenceSession } from '../src/train/session.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { beginRound, reestimateRound } from '../src/train/tasks/sequence.ts';
import { train } from '../src/train/trainer.ts';
import { sharedMemoryUpdate } from '../src/train/update/shared-memory.ts';
import {
  fhvaePictures,
  heatColour,
  spectrogramImage,
  writeFhvaePictures,
} from '../src/viz/fhvae-pictures.ts';
import { tempDir, untangle } from './helpers/cli.ts';

// ---- synthetic speech: per-speaker offsets plus per-segment content patterns ----

/**
 * Utterances of `speakers` speakers: each frame is one of a few shared "phone" patterns (held for 3-6
 * frames) plus its speaker's offset plus noise, so content varies within a segment and the speaker only
 * across utterances.
 */
function synthUtterances(
  rng: Rng,
  phones: Float32Array[],
  {
    speakers,
    perSpeaker,
    frames,
    prefix,
  }: { speakers: number; perSpeaker: number; frames: number; prefix: string },
): Utterance[] {
  const bins = phones[0].length;
  const out: Utterance[] = [];
  for (let s = 0; s < speakers; s++) {
    const offset = rng.fillNormal(new Float32Array(bins));
    for (let u = 0; u < perSpeaker; u++) {
      const features = new Float32Array(frames * bins);
      for (let t = 0; t < frames; ) {
        const phone = phones[rng.int(phones.length)];
        const hold = 3 + rng.int(4);
        for (let k = 0; k < hold && t < frames; k++, t++)
          for (let b = 0; b < bins; b++) features[t * bins + b] = phone[b] + offset[b] + 0.1 * rng.normal();
      }
      out.push({ id: `${prefix}${s}-u${u}`, speaker: `${prefix}${s}`, frames, features });
    }
  }
  return out;
}

function synthCorpus(seed: number, bins = 8): SpeechCorpus {
  const rng = new Rng(seed);
  const phones = Array.from({ length: 6 }, () => rng.fillNormal(new Float32Array(bins), 0, 1.5));
  return {
    bins,
    train: synthUtterances(rng, phones, { speakers: 8, perSpeaker: 4, frames: 60, prefix: 'tr' }),
    test: synthUtterances(rng, phones, { speakers: 4, perSpeaker: 4, frames: 60, prefix: 'te' }),
  };
}

/** A small net on 10-frame segments: fast enough for tests. */
const tinyOptions = (extra: Record<string, unknown> = {}) =>
  fhvaeOptions.parse({ frames: 10, units: 16, z1Dim: 4, z2Dim: 4, ...extra });

const tinyRun = (corpus: SpeechCorpus, extra: Record<string, unknown> = {}) =>
  resolveSequenceConfig(
    {
      steps: 12,
      batchSize: 16,
      logEvery: 1,
      checkpointEvery: 4,
      seed: 3,
      segmentShift: 4,
      modelOptions: { frames: 10, units: 16, z1Dim: 4, z2Dim: 4 },
      ...extra,
    },
    corpus,
  );

/** A corpus folder in the format `untangle data speech` writes (corpus.json + features.npz), no audio. */
function writeCorpusFolder(dir: string, corpus: SpeechCorpus): void {
  mkdirSync(dir, { recursive: true });
  const split = (utterances: Utterance[]): [NpyArray, NpyArray] => {
    const features = new Float32Array(utterances.reduce((n, u) => n + u.features.length, 0));
    let offset = 0;
    for (const u of utterances) {
      features.set(u.features, offset);
      offset += u.features.length;
    }
    return [
      { dtype: 'float32' as const, shape: [offset / corpus.bins, corpus.bins], data: features },
      {
        dtype: 'int32' as const,
        shape: [utterances.length],
        data: Int32Array.from(utterances, (u) => u.frames),
      },
    ] as const;
  };
  const [train, trainFrames] = split(corpus.train);
  const [test, testFrames] = split(corpus.test);
  writeNpz(join(dir, FEATURES_FILE), { train, train_frames: trainFrames, test, test_frames: testFrames });
  const jitter = { wordsPerMinute: 160, pitch: 0, highPassHz: 0, lowPassHz: 8000, gainDb: 0 };
  const utterance = (name: 'train' | 'test') => (u: Utterance) => ({
    id: u.id,
    speaker: u.speaker,
    split: name,
    text: 'synthetic',
    shared: false,
    jitter,
    wav: null,
    samples: u.frames * 160,
    frames: u.frames,
  });
  const manifest = manifestSchema.parse({
    format: CORPUS_FORMAT,
    version: 1,
    created: '2024-01-01T00:00:00Z',
    seed: 0,
    options: { speakers: 12, utterances: 4, testSpeakers: 4, sharedSentences: 0 },
    tools: { espeakVersion: 'none', soxVersion: 'none' },
    features: {
      file: FEATURES_FILE,
      sampleRate: 16000,
      bins: corpus.bins,
      windowMs: 25,
      hopMs: 10,
      preemphasis: 0.97,
      lowHz: 0,
      energyFloor: 1e-10,
      window: 400,
      hop: 160,
      fftSize: 512,
      normalisation: 'synthetic',
    },
    speakers: [],
    utterances: [...corpus.train.map(utterance('train')), ...corpus.test.map(utterance('test'))],
    voiceCheck: { sentence: '', threshold: 0, closestSpeakers: null, closestToPlain: null, passed: true },
    timings: {},
  });
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}

// ---- stand-ins for the speaker verification metric (the other engineer's module is not in yet) ----

/** EER of cosine scoring over all pairs: the error rate where misses and false alarms are equal. */
function cosineEer(vectors: Float32Array, dim: number, speakers: readonly string[]): number {
  const n = speakers.length;
  const cos = (i: number, j: number) => {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let k = 0; k < dim; k++) {
      const a = vectors[i * dim + k];
      const b = vectors[j * dim + k];
      ab += a * b;
      aa += a * a;
      bb += b * b;
    }
    return ab / Math.sqrt(aa * bb);
  };
  const trials: Array<[number, boolean]> = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) trials.push([cos(i, j), speakers[i] === speakers[j]]);
  trials.sort((a, b) => b[0] - a[0]);
  const targets = trials.filter((t) => t[1]).length;
  const nonTargets = trials.length - targets;
  let hits = 0;
  let falseAlarms = 0;
  let eer = 1;
  for (const [, same] of trials) {
    if (same) hits += 1;
    else falseAlarms += 1;
    eer = Math.min(eer, Math.max(1 - hits / targets, falseAlarms / nonTargets));
  }
  return eer;
}

const relClose = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, expected ${expected}`,
  );

const array64 = (t: tf.Tensor) => Float64Array.from(t.dataSync());

/** Runs fn in a tfjs scope that frees its tensors, returning plain data (tf.tidy only returns tensors). */
function scoped<T>(fn: () => T): T {
  tf.engine().startScope();
  try {
    return fn();
  } finally {
    tf.engine().endScope();
  }
}

describe('fhvae', () => {
  before(() => useBackend('wasm'));

  describe('segments', () => {
    it('cuts training and encoding segments as the authors do', () => {
      assert.deepEqual(segmentStarts(20, { frames: 8, shift: 4, mode: 'train' }), [0, 4, 8, 12]);
      // encoding: no overlap, plus a last segment ending at the last frame
      assert.deepEqual(segmentStarts(20, { frames: 8, shift: 8, mode: 'encode' }), [0, 8, 12]);
      assert.deepEqual(segmentStarts(16, { frames: 8, shift: 8, mode: 'encode' }), [0, 8]);
      assert.deepEqual(segmentStarts(5, { frames: 8, shift: 4, mode: 'train' }), []);
      assert.deepEqual(segmentStarts(5, { frames: 8, shift: 8, mode: 'encode' }), [0]);
    });

    it('gathers segment features and pads a short utterance with its last frame', () => {
      const u: Utterance = {
        id: 'a',
        speaker: 's',
        frames: 3,
        features: Float32Array.from([1, 2, 3, 4, 5, 6]),
      };
      const index = segmentIndex([u], 2, { frames: 4, shift: 4, mode: 'encode' });
      assert.deepEqual(Array.from(gatherSegments(index, [0])), [1, 2, 3, 4, 5, 6, 5, 6]);
      assert.throws(
        () => segmentIndex([{ ...u, frames: 4 }], 2, { frames: 2, shift: 1, mode: 'train' }),
        /utterance a: 6 feature values, expected frames 4 x 2 bins/,
      );
    });
  });

  describe('LSTM nets', () => {
    it('train on the wasm backend: every weight gets a finite gradient, equal to the cpu backend', async () => {
      const model = createFhvae(tinyOptions({ layers: 2 }), 3, 5, new Rng(1));
      const x = tf.tensor3d(new Rng(2).fillNormal(new Float32Array(4 * 10 * 3)), [4, 10, 3]);
      const batch = { x, rows: Int32Array.from([0, 1, 1, 4]), counts: Float32Array.from([2, 3, 3, 1]) };
      const gradients = () => {
        const { grads, value } = tf.variableGrads(
          () => fhvaeLoss(model, batch, stepContext(0, 9, 0)).total,
          model.variables(),
        );
        const out = model.variables().map((v) => Float64Array.from(grads[v.name].dataSync()));
        tf.dispose([value, ...Object.values(grads)]);
        return out;
      };
      const wasm = gradients();
      await tf.setBackend('cpu');
      let cpu: Float64Array[];
      try {
        cpu = gradients();
      } finally {
        await tf.setBackend('wasm');
      }
      model.variables().forEach((v, i) => {
        assert.ok(
          wasm[i].every((g) => Number.isFinite(g)),
          `${v.name}: non-finite gradient`,
        );
        assert.ok(
          wasm[i].some((g) => g !== 0),
          `${v.name}: all-zero gradient`,
        );
        const scale = Math.max(...cpu[i].map(Math.abs), 1e-6);
        const worst = Math.max(...wasm[i].map((g, k) => Math.abs(g - cpu[i][k])));
        assert.ok(
          worst <= 2e-3 * scale,
          `${v.name}: wasm and cpu gradients differ by ${worst} (scale ${scale})`,
        );
      });
      x.dispose();
    });

    it('save and load through the tfjs Layers files: same outputs, and the topology loads as it is', async () => {
      const a = createFhvae(tinyOptions({ layers: 2 }), 3, 5, new Rng(1));
      const b = createFhvae(tinyOptions({ layers: 2 }), 3, 5, new Rng(2));
      const dir = tempDir('fhvae-nets');
      const x = tf.tensor3d(new Rng(3).fillNormal(new Float32Array(2 * 10 * 3)), [2, 10, 3]);
      for (const name of ['z2Encoder', 'z1Encoder', 'decoder', 'mu2'] as const) {
        mkdirSync(join(dir, name));
        await saveLayersModel(a.nets[name], join(dir, name));
        await loadLayersWeights(b.nets[name], join(dir, name));
      }
      const codesA = encodeSegments(a, x);
      const codesB = encodeSegments(b, x);
      assert.deepEqual(Array.from(codesB.z1Mean.dataSync()), Array.from(codesA.z1Mean.dataSync()));
      assert.deepEqual(Array.from(b.table().dataSync()), Array.from(a.table().dataSync()));
      // what the browser does: tf.loadLayersModel on model.json + weights.bin
      const json = JSON.parse(readFileSync(join(dir, 'z2Encoder', 'model.json'), 'utf8'));
      const weights = readFileSync(join(dir, 'z2Encoder', 'weights.bin'));
      const loaded = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: json.modelTopology,
          weightSpecs: json.weightsManifest[0].weights,
          weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
        }),
      );
      const stats = loaded.predict(x) as tf.Tensor2D;
      const z2 = Array.from(stats.slice([0, 0], [-1, 4]).dataSync());
      Array.from(codesA.z2Mean.dataSync()).forEach((v, i) => {
        assert.ok(Math.abs(v - z2[i]) < 1e-5, `z2 mean ${i}: ${z2[i]} vs ${v}`);
      });
      tf.dispose([x, stats, ...Object.values(codesA), ...Object.values(codesB)]);
    });
  });

  describe('terms', () => {
    it('each term of the loss matches a float64 computation on a tiny batch', () => {
      const alpha = 10;
      const model = createFhvae(tinyOptions({ alpha, z1Dim: 2, z2Dim: 3 }), 3, 6, new Rng(4));
      const B = 5;
      const x = tf.tensor3d(new Rng(5).fillNormal(new Float32Array(B * 10 * 3)), [B, 10, 3]);
      const rows = Int32Array.from([0, 2, 2, 5, 1]);
      const counts = Float32Array.from([3, 1, 1, 4, 2]);
      const active = Int32Array.from([0, 1, 2, 5]);
      const terms = scoped(() => {
        const out = fhvaeLoss(model, { x, rows, counts, active }, stepContext(0, 123, 0));
        return Object.fromEntries(
          [...Object.entries(out.terms), ['total', out.total]].map(([k, t]) => [
            k,
            (t as tf.Tensor).dataSync()[0],
          ]),
        );
      });

      // the same posterior statistics and noise, then every formula in float64
      const d2 = 3;
      const d1 = 2;
      const table = array64(model.table());
      const { m2, lv2 } = scoped(() => {
        const stats = model.nets.z2Encoder.apply(x) as tf.Tensor2D;
        return { m2: array64(stats.slice([0, 0], [-1, d2])), lv2: array64(stats.slice([0, d2], [-1, d2])) };
      });
      const ctx = stepContext(0, 123, 0);
      const eps2 = scoped(() => array64(ctx.normal([B, d2])));
      const eps1 = scoped(() => array64(ctx.normal([B, d1])));
      const z2 = Float32Array.from(m2, (m, i) => m + Math.exp(lv2[i] / 2) * eps2[i]);
      const { m1, lv1, z1 } = scoped(() => {
        const stats = model.nets.z1Encoder.apply([x, tf.tensor2d(z2, [B, d2])]) as tf.Tensor2D;
        const m = array64(stats.slice([0, 0], [-1, d1]));
        const lv = array64(stats.slice([0, d1], [-1, d1]));
        return { m1: m, lv1: lv, z1: Float32Array.from(m, (v, i) => v + Math.exp(lv[i] / 2) * eps1[i]) };
      });
      const xStats = scoped(() => {
        const z = tf.concat([tf.tensor2d(z1, [B, d1]), tf.tensor2d(z2, [B, d2])], 1);
        return array64(model.nets.decoder.apply(z) as tf.Tensor);
      });
      const xs = array64(x);
      let reconstruction = 0;
      let klZ1 = 0;
      let klZ2 = 0;
      let logPMu2 = 0;
      let discriminative = 0;
      const mu = (row: number, k: number) => table[row * d2 + k];
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < 10; t++) {
          for (let f = 0; f < 3; f++) {
            const mean = xStats[(b * 10 + t) * 6 + f];
            const logVar = xStats[(b * 10 + t) * 6 + 3 + f];
            const v = xs[(b * 10 + t) * 3 + f];
            reconstruction += 0.5 * (Math.log(2 * Math.PI) + logVar + (v - mean) ** 2 / Math.exp(logVar));
          }
        }
        for (let k = 0; k < d1; k++) {
          const [m, lv] = [m1[b * d1 + k], lv1[b * d1 + k]];
          klZ1 += 0.5 * (Math.exp(lv) + m * m - 1 - lv);
        }
        for (let k = 0; k < d2; k++) {
          const [m, lv, p] = [m2[b * d2 + k], lv2[b * d2 + k], mu(rows[b], k)];
          // KL(N(m, e^lv) || N(μ2, 0.25))
          klZ2 += 0.5 * (Math.log(0.25) - lv + (Math.exp(lv) + (m - p) ** 2) / 0.25 - 1);
          // log N(μ2; 0, 1) / N
          logPMu2 += (-0.5 * (Math.log(2 * Math.PI) + p * p)) / counts[b];
        }
        const logit = (row: number) => {
          let s = 0;
          for (let k = 0; k < d2; k++) s += (m2[b * d2 + k] - mu(row, k)) ** 2;
          return -s / (2 * 0.25);
        };
        const logits = Array.from(active, logit);
        const top = Math.max(...logits);
        const logSum = top + Math.log(logits.reduce((s, l) => s + Math.exp(l - top), 0));
        discriminative += logit(rows[b]) - logSum;
      }
      const expected = {
        reconstruction: reconstruction / B,
        klZ1: klZ1 / B,
        klZ2: klZ2 / B,
        logPMu2: logPMu2 / B,
        discriminative: discriminative / B,
      };
      for (const [name, value] of Object.entries(expected)) relClose(terms[name], value, 1e-4, name);
      const lowerBound = -expected.reconstruction - expected.klZ1 - expected.klZ2 + expected.logPMu2;
      relClose(terms.lowerBound, lowerBound, 1e-4, 'lowerBound');
      relClose(terms.total, -(lowerBound + alpha * expected.discriminative), 1e-4, 'total');
      x.dispose();
    });

    it('the μ2 rows gradient (a scatter-add on wasm) equals tfjs gather gradient on the cpu backend', async () => {
      const values = new Rng(6).fillNormal(new Float32Array(7 * 3));
      const weights = new Rng(7).fillNormal(new Float32Array(5 * 3));
      const rows = Int32Array.from([6, 0, 6, 2, 6]);
      const wasm = scoped(() =>
        array64(
          tf.grad((t: tf.Tensor) =>
            tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, rows), tf.tensor2d(weights, [5, 3]))),
          )(tf.tensor2d(values, [7, 3])),
        ),
      );
      await tf.setBackend('cpu');
      let cpu: Float64Array;
      try {
        cpu = scoped(() =>
          array64(
            tf.grad((t: tf.Tensor) =>
              tf.sum(tf.mul(tf.gather(t, tf.tensor1d(rows, 'int32')), tf.tensor2d(weights, [5, 3]))),
            )(tf.tensor2d(values, [7, 3])),
          ),
        );
      } finally {
        await tf.setBackend('wasm');
      }
      wasm.forEach((g, i) => {
        assert.ok(Math.abs(g - cpu[i]) < 1e-6, `entry ${i}: ${g} vs ${cpu[i]}`);
      });
    });
  });

  describe('MAP μ2', () => {
    it('Σ z2 / (N + σ²) maximises Σ log N(z2_n; μ2, σ²) + log N(μ2; 0, 1): the gradient vanishes there', () => {
      const rng = new Rng(8);
      for (const n of [1, 3, 17]) {
        const z = Array.from({ length: n }, () => rng.normal() * 2 + 1);
        const [mu] = mapMu2([z.reduce((a, b) => a + b, 0)], n);
        const gradient = z.reduce((g, zi) => g + (zi - mu) / Z2_PRIOR_VARIANCE, 0) - mu / MU2_PRIOR_VARIANCE;
        assert.ok(
          Math.abs(gradient) < 1e-4,
          `N=${n}: log-posterior gradient ${gradient} at the estimate ${mu}`,
        );
        // and it is a maximum: the log-posterior is lower a little to either side
        const logPost = (m: number) =>
          z.reduce((s, zi) => s - (zi - m) ** 2 / (2 * Z2_PRIOR_VARIANCE), 0) -
          (m * m) / (2 * MU2_PRIOR_VARIANCE);
        assert.ok(logPost(mu) > logPost(mu + 1e-2) && logPost(mu) > logPost(mu - 1e-2));
      }
    });

    it('s-vectors and μ1 of utterances are the MAP of their segments’ E[z2] and the mean of E[z1], batched', async () => {
      const model = createFhvae(tinyOptions(), 8, 3, new Rng(9));
      const corpus = synthCorpus(10);
      // lengths that exercise the tail segment and the padded short utterance
      const utterances = [
        corpus.test[0],
        { ...corpus.test[1], frames: 25, features: corpus.test[1].features.slice(0, 200) },
      ];
      utterances.push({ ...corpus.test[2], frames: 6, features: corpus.test[2].features.slice(0, 48) });
      const codes = await encodeUtterances(model, utterances, { batchSize: 4 });
      utterances.forEach((u, i) => {
        const starts = segmentStarts(u.frames, { frames: 10, shift: 10, mode: 'encode' });
        const index = segmentIndex([u], 8, { frames: 10, shift: 10, mode: 'encode' });
        const x = tf.tensor3d(
          gatherSegments(
            index,
            starts.map((_, j) => j),
          ),
          [starts.length, 10, 8],
        );
        const { z2Mean, z1Mean, ...rest } = encodeSegments(model, x);
        const z2 = array64(z2Mean);
        const z1 = array64(z1Mean);
        tf.dispose([x, z2Mean, z1Mean, ...Object.values(rest)]);
        const n = starts.length;
        for (let k = 0; k < 4; k++) {
          let s2 = 0;
          let s1 = 0;
          for (let j = 0; j < n; j++) {
            s2 += z2[j * 4 + k];
            s1 += z1[j * 4 + k];
          }
          relClose(codes.mu2[i * 4 + k], s2 / (n + 0.25), 1e-5, `utterance ${i} μ2[${k}]`);
          relClose(codes.mu1[i * 4 + k], s1 / n, 1e-5, `utterance ${i} μ1[${k}]`);
        }
      });
    });
  });

  describe('hierarchical sampling', () => {
    it('a round samples the configured number of sequences and re-estimates only their rows', async () => {
      const corpus = synthCorpus(11);
      // one training utterance too short for a segment: never sampled
      corpus.train[5] = { ...corpus.train[5], frames: 6, features: corpus.train[5].features.slice(0, 48) };
      const { task } = buildSequenceSession(tinyRun(corpus, { sequencesPerRound: 7 }), corpus);
      assert.equal(task.hierarchical, true);
      const tableOf = () => task.fhvae.table().dataSync() as Float32Array;
      const before = tableOf().slice();
      const update = await sharedMemoryUpdate(task);
      const tableSlot = task.fhvae.variables().indexOf(task.fhvae.table());
      const slots = update.optimizers()[0].state() as Float32Array[];
      slots[2 * tableSlot].fill(0.5);
      const seen = new Set<number>();
      for (let r = 0; r < 6; r++) {
        const round = beginRound(task, r);
        assert.equal(round.sequences.length, 7);
        assert.equal(new Set(round.sequences).size, 7, 'without replacement');
        for (const u of round.sequences) seen.add(u);
        assert.ok(!round.sequences.includes(5), 'the utterance with no segment is never sampled');
        assert.deepEqual(beginRound(task, r).sequences, round.sequences, 'a round is reproducible');
      }
      assert.ok(seen.size > 14, `rounds differ: ${seen.size} distinct sequences over 6 rounds`);
      assert.deepEqual(tableOf(), before, 'without re-estimation the table stays');

      const round = beginRound(task, 2);
      await reestimateRound(task, round, update);
      const expected = await estimateMu2(task.fhvae, task.index, round.sequences);
      const table = tableOf();
      for (let u = 0; u < corpus.train.length; u++) {
        const i = round.sequences.indexOf(u);
        const row = table.subarray(u * 4, (u + 1) * 4);
        if (i < 0)
          assert.deepEqual(row, before.subarray(u * 4, (u + 1) * 4), `row ${u} (not sampled) unchanged`);
        else assert.deepEqual(row, expected.subarray(i * 4, (i + 1) * 4), `row ${u} (sampled) re-estimated`);
      }
      assert.ok(
        (update.optimizers()[0].state() as Float32Array[])[2 * tableSlot].every((v) => v === 0),
        "the table's Adam m restarts",
      );

      // the estimate itself: MAP from the sequence's training segments (shift 4)
      const u = round.sequences[0];
      const starts = segmentStarts(60, { frames: 10, shift: 4, mode: 'train' });
      const x = tf.tensor3d(
        gatherSegments(
          task.index,
          starts.map((_, j) => task.index.offsets[u] + j),
        ),
        [starts.length, 10, 8],
      );
      const codes = encodeSegments(task.fhvae, x);
      const z2 = array64(codes.z2Mean);
      tf.dispose([x, ...Object.values(codes)]);
      for (let k = 0; k < 4; k++) {
        const sum = starts.reduce((s, _, j) => s + z2[j * 4 + k], 0);
        relClose(table[u * 4 + k], sum / (starts.length + 0.25), 1e-5, `row ${u} dim ${k}`);
      }
      // the update's own copy of the weights took the new rows: a step moves them by at most ~lr
      task.begin!(0);
      await update.step(0, 1, task.sampleBatch(new Rng(0), 0));
      const stepped = tableOf();
      for (const [i, u] of round.sequences.entries())
        for (let k = 0; k < 4; k++)
          relClose(stepped[u * 4 + k], expected[i * 4 + k], 0.01, `row ${u} dim ${k} after a step`);
      await update.close();
    });

    it('without rounds (corpus within one round) every sequence trains and the softmax spans the table', () => {
      const corpus = synthCorpus(12);
      const session = buildSequenceSession(tinyRun(corpus), corpus);
      assert.equal(session.task.hierarchical, false);
      const round = beginRound(session.task, 0);
      assert.equal(round.sequences.length, corpus.train.length);
    });
  });

  describe('training', () => {
    let trained: { corpus: SpeechCorpus; model: Fhvae; runDir: string } | undefined;

    it('trains on synthetic speech: finite terms, reconstruction falls, μ2 separates speakers better than μ1', async () => {
      const corpus = synthCorpus(13);
      const runDir = tempDir('fhvae-train');
      const config = tinyRun(corpus, {
        steps: 100,
        batchSize: 32,
        logEvery: 10,
        checkpointEvery: 100,
        learningRate: 5e-3,
        modelOptions: { frames: 10, units: 32, z1Dim: 4, z2Dim: 4 },
      });
      await saveRunConfig(runDir, config);
      const session = buildSequenceSession(config, corpus);
      const tensors = tf.memory().numTensors;
      const log = await train(session, runDir);
      assert.equal(tf.memory().numTensors, tensors, 'no tensor leaks over 100 steps');
      assert.deepEqual(
        readLog(runDir).map((e) => e.step),
        [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
      );
      for (const e of log) {
        for (const key of [
          'total',
          'reconstruction',
          'klZ1',
          'klZ2',
          'logPMu2',
          'discriminative',
          'lowerBound',
        ])
          assert.ok(Number.isFinite(e[key] as number), `${key} at step ${e.step}: ${e[key]}`);
      }
      const mean = (entries: typeof log) =>
        entries.reduce((s, e) => s + (e.reconstruction as number), 0) / entries.length;
      const early = mean(log.slice(0, 3));
      const late = mean(log.slice(-3));
      assert.ok(late < 0.93 * early, `reconstruction ${early.toFixed(1)} -> ${late.toFixed(1)}`);

      const codes = await encodeUtterances(session.task.fhvae, corpus.test);
      const speakers = corpus.test.map((u) => u.speaker);
      const eerMu2 = cosineEer(codes.mu2, 4, speakers);
      const eerMu1 = cosineEer(codes.mu1, 4, speakers);
      assert.ok(eerMu2 < eerMu1 && eerMu2 <= 0.25, `EER μ2 ${eerMu2} vs μ1 ${eerMu1} on unseen speakers`);

      // the run folder loads back into the same model
      const loaded = await loadFhvaeRun(runDir);
      assert.equal(loaded.step, 100);
      assert.deepEqual((await encodeUtterances(loaded.model, corpus.test)).mu2, codes.mu2);
      trained = { corpus, model: session.task.fhvae, runDir };
    });

    it('a resumed run (across a hierarchical round) continues exactly like the uninterrupted one', async () => {
      const corpus = synthCorpus(14);
      const config = (steps: number) => tinyRun(corpus, { steps, sequencesPerRound: 10, roundSteps: 3 });
      const whole = tempDir('fhvae-whole');
      await train(buildSequenceSession(config(10), corpus), whole);
      const parts = tempDir('fhvae-parts');
      await train(buildSequenceSession(config(5), corpus), parts);
      await train(buildSequenceSession(config(10), corpus), parts, { resume: true });
      const strip = (dir: string) => readLog(dir).map(({ segPerSec: _, ...rest }) => rest);
      const a = strip(whole);
      assert.deepEqual(
        a.map((e) => e.round),
        [0, 0, 0, 1, 1, 1, 2, 2, 2, 3],
      );
      assert.deepEqual(strip(parts), a, 'same seed, same terms, step by step');
    });

    it('two threads compute the same step as one (data parallel over the batch)', async () => {
      const corpus = synthCorpus(15);
      const run = async (threads: number) => {
        const dir = tempDir(`fhvae-threads${threads}`);
        await train(buildSequenceSession(tinyRun(corpus, { steps: 3, threads }), corpus), dir);
        return readLog(dir);
      };
      const one = await run(1);
      const two = await run(2);
      one.forEach((e, i) => {
        for (const key of ['total', 'reconstruction', 'klZ2', 'discriminative'])
          relClose(two[i][key] as number, e[key] as number, 1e-4, `${key} at step ${e.step}`);
      });
    });

    it('writes log-mel reconstructions and speaker-swapped decodings as PNG heatmaps', async () => {
      assert.ok(trained, 'needs the trained run above');
      const { model, corpus, runDir } = trained;
      const written = await writeFhvaePictures(model, corpus.test, runDir, {
        sources: 2,
        targets: 2,
        segments: 3,
      });
      const recon = decodePng(readFileSync(written[0]));
      const swap = decodePng(readFileSync(written[1]));
      // cells are 30 frames x 8 bins, upscaled 3x, with 2 px padding: 2 rows x 2 sources; 3 rows x 4 columns
      assert.deepEqual([recon.width, recon.height], [2 * 90 + 3 * 2, 2 * 24 + 3 * 2]);
      assert.deepEqual([swap.width, swap.height], [4 * 90 + 5 * 2, 3 * 24 + 4 * 2]);
      // the swapped decodings differ from the reconstruction (another speaker's μ2) but keep its size
      const pictures = await fhvaePictures(model, corpus.test, {
        sources: 2,
        targets: 2,
        segments: 3,
        upscale: 1,
      });
      const cell = (img: typeof pictures.speakerSwap, row: number, col: number) => {
        const out: number[] = [];
        for (let y = 0; y < 8; y++)
          for (let x = 0; x < 30; x++) {
            const p = ((2 + row * 10 + y) * img.width + 2 + col * 32 + x) * 3;
            out.push(img.rgb[p], img.rgb[p + 1], img.rgb[p + 2]);
          }
        return out;
      };
      assert.notDeepEqual(cell(pictures.speakerSwap, 1, 2), cell(pictures.speakerSwap, 1, 1));
    });

    it('the table: rows for i-vectors, μ2 per α and μ1, EERs from the tools on the right vectors', async () => {
      assert.ok(trained, 'needs the trained run above');
      const { model, corpus } = trained;
      const calls: string[] = [];
      const tools: VerificationTools = {
        eer: (vectors, dim, speakers) => cosineEer(vectors, dim, speakers),
        // a stand-in "LDA": centre on the training mean (enough to check the plumbing)
        lda(train, _speakers, test, dim) {
          calls.push(`lda ${dim}`);
          const n = train.length / dim;
          const mean = Array.from({ length: dim }, (_, k) => {
            let s = 0;
            for (let i = 0; i < n; i++) s += train[i * dim + k];
            return s / n;
          });
          return { vectors: test.map((v, i) => v - mean[i % dim]), dim };
        },
        // a stand-in "i-vector": the first `dim` bins of an utterance's mean frame
        ivectors(c, dim) {
          calls.push(`ivector ${dim}`);
          const meanFrame = (u: Utterance) =>
            Array.from({ length: dim }, (_, b) => {
              let s = 0;
              for (let t = 0; t < u.frames; t++) s += u.features[t * c.bins + b];
              return s / u.frames;
            });
          return {
            train: Float32Array.from(c.train.flatMap(meanFrame)),
            test: Float32Array.from(c.test.flatMap(meanFrame)),
          };
        },
      };
      const rows = await fhvaeTableRows(
        corpus,
        [
          { alpha: 0, model },
          { alpha: 10, model },
        ],
        tools,
        { ivectorDims: [4, 8] },
      );
      assert.deepEqual(
        rows.map((r) => [r.representation, r.dim]),
        [
          ['i-vector', 4],
          ['i-vector', 8],
          ['μ2 (α=0)', 4],
          ['μ2 (α=10)', 4],
          ['μ1 (α=10)', 4],
        ],
      );
      assert.deepEqual(calls.slice(0, 3), ['ivector 4', 'lda 4', 'ivector 8']);
      const codes = await encodeUtterances(model, corpus.test);
      const speakers = corpus.test.map((u) => u.speaker);
      assert.equal(rows[3].rawEer, cosineEer(codes.mu2, 4, speakers));
      assert.equal(rows[4].rawEer, cosineEer(codes.mu1, 4, speakers));
      const table = formatTable(rows);
      assert.match(table, /\| μ2 \(α=10\) \| 4 \| \d+\.\d\d \| \d+\.\d\d \|/);
    });
  });

  describe('pictures', () => {
    it('heatmaps put low bins at the bottom and map the range onto the colour ramp', () => {
      // 2 frames x 3 bins: bin 0 high, bin 2 low
      const image = spectrogramImage(Float32Array.from([1, 0.5, 0, 1, 0.5, 0]), 2, 3, [0, 1]);
      assert.deepEqual([image.width, image.height], [2, 3]);
      const pixel = (y: number) =>
        Array.from(image.data.subarray(y * 6, y * 6 + 3), (v) => Math.round(255 * v));
      const bytes = (c: number[]) => c.map((v) => Math.round(255 * v));
      assert.deepEqual(pixel(2), bytes(heatColour(1)), 'bottom row is bin 0 (the highest value)');
      assert.deepEqual(pixel(1), bytes(heatColour(0.5)));
      assert.deepEqual(pixel(0), bytes(heatColour(0)), 'top row is the last bin');
      assert.deepEqual(heatColour(0), [0, 0, 4 / 255]);
      assert.deepEqual(heatColour(2), heatColour(1), 'clamped');
    });
  });

  describe('cli', () => {
    it('untangle train-fhvae trains a corpus folder, writes its pictures, and resumes', () => {
      const dir = tempDir('fhvae-cli-run');
      writeCorpusFolder(join(dir, 'corpus'), synthCorpus(16));
      const run = join(dir, 'run');
      const small = [
        'frames=10',
        'units=8',
        'z1Dim=2',
        'z2Dim=2',
        'batchSize=8',
        'logEvery=1',
        'segmentShift=10',
      ];
      const args = [
        '--corpus',
        join(dir, 'corpus'),
        '--out',
        run,
        '--steps',
        '3',
        '--threads',
        '1',
        '--alpha',
        '1',
      ];
      const first = untangle(['train-fhvae', ...args, ...small.flatMap((s) => ['--set', s])]);
      assert.equal(first.status, 0, first.stderr);
      assert.deepEqual(
        readLog(run).map((e) => e.step),
        [1, 2, 3],
      );
      const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
      assert.deepEqual(
        [config.modelOptions.alpha, config.modelOptions.units, config.bins, config.sequences],
        [1, 8, 8, 32],
      );
      for (const picture of ['reconstructions.png', 'speaker-swap.png'])
        assert.ok(existsSync(join(run, picture)), `${picture} written`);
      const resumed = untangle(['train-fhvae', '--resume', run, '--steps', '5']);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.deepEqual(
        readLog(run).map((e) => e.step),
        [1, 2, 3, 4, 5],
      );
    });

    it('untangle fhvae-table trains a run per α, prints the table, and reuses complete runs', () => {
      const dir = tempDir('fhvae-cli-table');
      writeCorpusFolder(join(dir, 'corpus'), synthCorpus(17));
      const small = ['frames=10', 'units=8', 'z1Dim=2', 'z2Dim=2', 'batchSize=8', 'segmentShift=10'];
      const args = [
        'fhvae-table',
        ...['--corpus', join(dir, 'corpus'), '--out', join(dir, 'table'), '--steps', '2', '--threads', '1'],
        ...['--alphas', '0,10', '--ivector-dims', '2'],
        ...small.flatMap((s) => ['--set', s]),
      ];
      const first = untangle(args);
      assert.equal(first.status, 0, first.stderr);
      const rows = JSON.parse(readFileSync(join(dir, 'table', 'table.json'), 'utf8')) as Array<{
        representation: string;
        rawEer: number;
        ldaEer: number;
      }>;
      assert.deepEqual(
        rows.map((r) => r.representation),
        ['i-vector', 'μ2 (α=0)', 'μ2 (α=10)', 'μ1 (α=10)'],
      );
      for (const r of rows) assert.ok(r.rawEer >= 0 && r.rawEer <= 1 && r.ldaEer >= 0 && r.ldaEer <= 1);
      assert.equal(first.stdout, readFileSync(join(dir, 'table', 'table.md'), 'utf8'));
      assert.match(first.stdout, /\| μ2 \(α=10\) \| 2 \| \d+\.\d\d \| \d+\.\d\d \|/);
      const again = untangle(args);
      assert.equal(again.status, 0, again.stderr);
      assert.match(again.stderr, /reusing .*alpha-0 \(2 steps\)/);
      assert.equal(again.stdout, first.stdout, 'the same runs give the same table');
    });

    it('train-fhvae and fhvae-table reject bad input with exit code 2 and a message naming it', () => {
      const dir = tempDir('fhvae-cli');
      const noCorpus = untangle(['train-fhvae', '--out', join(dir, 'run')]);
      assert.equal(noCorpus.status, 2, noCorpus.stderr);
      assert.match(noCorpus.stderr, /--corpus DIR is required/);
      const badAlphas = untangle([
        'fhvae-table',
        '--corpus',
        dir,
        '--out',
        join(dir, 'table'),
        '--alphas',
        '1,x',
      ]);
      assert.equal(badAlphas.status, 2, badAlphas.stderr);
      assert.match(badAlphas.stderr, /--alphas expects a number, got "x"/);
    });
  });
});
