import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { datasetOfConfig } from '../src/data/registry.ts';
import type { SpeechCorpus } from '../src/data/speech/corpus.ts';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { fhvae } from '../src/models/fhvae.ts';
import { latentLayout, MODELS } from '../src/models/registry.ts';
import { buildModel } from '../src/run/build-model.ts';
import { resolveSequenceConfig, resolveTrainConfig, type TrainConfig } from '../src/run/config.ts';
import { LATENT_FILE, readLatentLayout } from '../src/run/latent-file.ts';
import type { RunDetail } from '../src/server/api-types.ts';
import { createDashboardServer, listen } from '../src/server/server.ts';
import { presetConfig } from '../src/train/presets.ts';
import { buildSequenceSession, buildSession } from '../src/train/session.ts';
import { sequenceReplica } from '../src/train/tasks/sequence.ts';
import { train } from '../src/train/trainer.ts';
import { ROOT, tempDir } from './helpers/cli.ts';

// the models that read labels train on their own data
const DATASET_OF: Record<string, string> = {
  'semi-supervised-vae': 'mnist-semi',
  'fair-vae': 'mnist-sensitive',
};

/** One step of a tiny run of `model` (MLP nets). */
const tiny = (model: string, overrides: Record<string, unknown> = {}): TrainConfig =>
  resolveTrainConfig({
    model,
    dataset: DATASET_OF[model] ?? 'dsprites',
    architecture: 'mlp',
    hidden: [8],
    latentDim: 3,
    batchSize: 4,
    steps: 1,
    logEvery: 1,
    checkpointEvery: 1,
    threads: 1,
    ...overrides,
  });

/** Six utterances of 14 frames of 3 bins, two speakers: enough for one FHVAE step on 10-frame segments. */
function tinyCorpus(): SpeechCorpus {
  const rng = new Rng(5);
  const utterances = (prefix: string) =>
    Array.from({ length: 6 }, (_, u) => ({
      id: `${prefix}${u}`,
      speaker: `${prefix}s${u % 2}`,
      frames: 14,
      features: rng.fillNormal(new Float32Array(14 * 3)),
    }));
  return { bins: 3, train: utterances('tr'), test: utterances('te') };
}

/** A one-step FHVAE run's config on that corpus: z1 of 2 dims, z2 of 3. */
const tinyFhvae = (corpus: SpeechCorpus, modelOptions: Record<string, unknown> = {}) =>
  resolveSequenceConfig(
    {
      steps: 1,
      batchSize: 4,
      logEvery: 1,
      checkpointEvery: 1,
      segmentShift: 4,
      modelOptions: { frames: 10, units: 4, z1Dim: 2, z2Dim: 3, ...modelOptions },
    },
    corpus,
  );

/** The FHVAE's layout for z1Dim, z2Dim: its two groups (σ² 1 and 0.5², the latter around the μ2 row). */
const fhvaeLayout = (z1Dim: number, z2Dim: number) => ({
  model: 'fhvae',
  continuous: z1Dim + z2Dim,
  code: 'gaussian',
  discrete: [],
  decoder: 'gaussian',
  groups: [
    { name: 'z1', dims: z1Dim, level: 'segment', priorMean: 'zero', priorVariance: 1 },
    { name: 'z2', dims: z2Dim, level: 'sequence', priorMean: 'sequence-table', priorVariance: 0.25 },
  ],
});

/** How many times `run` makes `schema` parse (parse or safeParse), and what it returned. */
function countParses<T>(schema: unknown, run: () => T): { parses: number; result: T } {
  const options = schema as Record<'parse' | 'safeParse', (...args: unknown[]) => unknown>;
  const originals = { parse: options.parse, safeParse: options.safeParse };
  let parses = 0;
  for (const name of ['parse', 'safeParse'] as const) {
    options[name] = (...args) => {
      parses += 1;
      return originals[name].apply(options, args);
    };
  }
  try {
    const result = run();
    return { parses, result };
  } finally {
    Object.assign(options, originals);
  }
}

describe('model definitions', () => {
  before(() => useBackend('wasm'));

  it('parses a model’s options once, in the config; building the model does not parse them again', () => {
    const { parses, result: config } = countParses(MODELS['beta-tcvae'].options, () => {
      const config = tiny('beta-tcvae', { modelOptions: { beta: 2 } });
      buildModel(config, datasetOfConfig(config), new Rng(0));
      return config;
    });
    assert.equal(parses, 1);
    // the defaults fill what the config leaves out
    assert.deepEqual(config.modelOptions, { alpha: 1, beta: 2, gamma: 1, estimator: 'mws' });
    assert.deepEqual(MODELS['beta-tcvae'].defaults, { alpha: 1, beta: 6, gamma: 1, estimator: 'mws' });
  });

  it('the FHVAE: options parsed once, in the config; its paper preset is its defaults (Hsu et al. 2017)', () => {
    const { parses, result: config } = countParses(fhvae.options, () => {
      const config = tinyFhvae(tinyCorpus(), { alpha: 2 });
      sequenceReplica(config);
      return config;
    });
    assert.equal(parses, 1);
    assert.deepEqual(config.modelOptions, {
      frames: 10,
      units: 4,
      layers: 1,
      z1Dim: 2,
      z2Dim: 3,
      alpha: 2,
    });
    // hand-copied from the paper's experimental setup, the source the definition cites
    const paper = resolveSequenceConfig(presetConfig('paper', 'fhvae'));
    assert.deepEqual(paper.modelOptions, {
      frames: 20,
      units: 256,
      layers: 1,
      z1Dim: 32,
      z2Dim: 32,
      alpha: 10,
    });
    assert.deepEqual(
      [paper.learningRate, paper.adamBeta1, paper.adamBeta2, paper.adamEpsilon, paper.batchSize],
      [1e-3, 0.95, 0.999, 1e-8, 256],
    );
    assert.deepEqual(fhvae.paper?.config, {}, 'every paper setting is a default: the preset repeats none');
    assert.match(fhvae.paper?.source ?? '', /Hsu, Zhang & Glass 2017/);
    assert.throws(() => presetConfig('dlib', 'fhvae'), /fhvae is a sequence model, its one preset is paper/);
    assert.deepEqual(latentLayout(paper), fhvaeLayout(32, 32));
  });

  it('paper presets resolve to the numbers their sources cite, and repeat no default', () => {
    // hand-copied from each paper (the sources the definitions cite)
    const cited: Record<string, Record<string, unknown>> = {
      vae: {},
      'beta-vae': { beta: 4 },
      'annealed-vae': { learningRate: 5e-4, gamma: 1000, capacityMax: 25, capacitySteps: 100_000 },
      'beta-tcvae': { alpha: 1, beta: 6, gamma: 1, estimator: 'mws' },
      'factor-vae': {
        gamma: 35,
        learningRate: 1e-4,
        adamBeta1: 0.9,
        adamBeta2: 0.999,
        discriminatorLearningRate: 1e-4,
        discriminatorBeta1: 0.5,
        discriminatorBeta2: 0.9,
      },
      'dip-vae-i': { lambdaOffDiagonal: 10 },
      'dip-vae-ii': { lambdaOffDiagonal: 10 },
      'joint-vae': {
        latentDim: 6,
        learningRate: 5e-4,
        discreteSizes: [3],
        continuousCapacityMax: 40,
        discreteCapacityMax: 1.1,
        capacitySteps: 300_000,
        gamma: 150,
        temperature: 0.67,
      },
      'cascade-vae': { latentDim: 6, categories: 3, betaHigh: 10, betaLow: 2, relieveEvery: 20_000 },
    };
    const configDefaults = resolveTrainConfig({}) as Record<string, unknown>;
    for (const [model, definition] of Object.entries(MODELS)) {
      if (definition.paper == null) continue;
      assert.ok(cited[model], `${model}: a paper preset the test knows`);
      const resolved = resolveTrainConfig(presetConfig('paper', model)) as Record<string, unknown>;
      const options = resolved.modelOptions as Record<string, unknown>;
      for (const [key, value] of Object.entries(cited[model])) {
        assert.deepEqual(key in options ? options[key] : resolved[key], value, `${model} ${key}`);
      }
      const { modelOptions = {}, ...keys } = definition.paper.config;
      for (const [key, value] of Object.entries(modelOptions))
        assert.notDeepEqual(
          value,
          (definition.defaults as Record<string, unknown>)[key],
          `${model} repeats ${key}`,
        );
      for (const [key, value] of Object.entries(keys))
        assert.notDeepEqual(value, configDefaults[key], `${model} repeats the config default ${key}`);
    }
    // the dlib preset is the sweep value alone: the config's defaults are disentanglement_lib's training
    assert.deepEqual(presetConfig('dlib', 'factor-vae', 2), {
      model: 'factor-vae',
      modelOptions: { gamma: 30 },
    });
    assert.equal(configDefaults.steps, 300_000);
  });

  it('training writes latent.json; without it the same layout is derived from config.json, for every model', async () => {
    for (const model of Object.keys(MODELS)) {
      const dir = tempDir(`latent-${model}`);
      const config = tiny(model, model === 'joint-vae' ? { modelOptions: { discreteSizes: [3, 2] } } : {});
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
      await train(buildSession(config), dir);
      const written = JSON.parse(readFileSync(join(dir, LATENT_FILE), 'utf8'));
      assert.deepEqual(written, latentLayout(config), model);
      assert.equal(written.continuous, 3);
      rmSync(join(dir, LATENT_FILE));
      const derived = await readLatentLayout(dir, JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')));
      assert.deepEqual(derived, { layout: written, source: 'config' }, model);
    }
    const joint = latentLayout(tiny('joint-vae', { modelOptions: { discreteSizes: [3, 2] } }));
    assert.deepEqual(joint.discrete, [
      { size: 3, inferred: 'encoder' },
      { size: 2, inferred: 'encoder' },
    ]);
    assert.deepEqual(latentLayout(tiny('cascade-vae')).discrete, [{ size: 3, inferred: 'reconstruction' }]);
  });

  describe('the server serves latent.json', () => {
    let server: ReturnType<typeof createDashboardServer>;
    let port: number;
    const runs = tempDir('latent-serve');
    before(async () => {
      // a run trained now, one from af49a90 (no latent.json), one whose latent.json says something else
      // than its config (the server must read the file) and one whose latent.json is broken
      const fresh = join(runs, 'fresh');
      mkdirSync(fresh);
      const config = tiny('cascade-vae', { modelOptions: { categories: 4 } });
      writeFileSync(join(fresh, 'config.json'), JSON.stringify(config));
      await train(buildSession(config), fresh);
      cpSync(join(ROOT, 'test', 'fixtures', 'af49a90', 'image-run'), join(runs, 'old'), { recursive: true });
      assert.ok(!existsSync(join(runs, 'old', LATENT_FILE)));
      cpSync(fresh, join(runs, 'edited'), { recursive: true });
      const edited = JSON.parse(readFileSync(join(fresh, LATENT_FILE), 'utf8'));
      writeFileSync(join(runs, 'edited', LATENT_FILE), JSON.stringify({ ...edited, continuous: 7 }));
      cpSync(fresh, join(runs, 'broken'), { recursive: true });
      writeFileSync(join(runs, 'broken', LATENT_FILE), JSON.stringify({ ...edited, decoder: 'poisson' }));
      // an FHVAE run trained now, and the af49a90 one (no latent.json)
      const corpus = tinyCorpus();
      const fhvaeConfig = tinyFhvae(corpus);
      mkdirSync(join(runs, 'fhvae'));
      writeFileSync(join(runs, 'fhvae', 'config.json'), JSON.stringify(fhvaeConfig));
      await train(buildSequenceSession(fhvaeConfig, corpus), join(runs, 'fhvae'));
      cpSync(join(ROOT, 'test', 'fixtures', 'af49a90', 'fhvae-run'), join(runs, 'old-fhvae'), {
        recursive: true,
      });
      assert.ok(!existsSync(join(runs, 'old-fhvae', LATENT_FILE)));
      cpSync(join(runs, 'fhvae'), join(runs, 'broken-fhvae'), { recursive: true });
      const groups = fhvaeLayout(2, 3).groups;
      writeFileSync(
        join(runs, 'broken-fhvae', LATENT_FILE),
        JSON.stringify({ ...fhvaeLayout(2, 3), groups: [groups[0], { ...groups[1], dims: 4 }] }),
      );
      server = createDashboardServer({ runsDir: runs, webDist: null });
      await listen(server, 0, '127.0.0.1');
      port = (server.address() as AddressInfo).port;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });
    const get = (id: string) => fetch(`http://127.0.0.1:${port}/api/run?id=${id}`);

    it('a trained run: its latent.json, with the KL per dim of its log', async () => {
      const detail = (await (await get('fresh')).json()) as RunDetail;
      const { klPerDim, source, ...layout } = detail.latent!;
      assert.equal(source, 'latent.json');
      assert.deepEqual(layout, JSON.parse(readFileSync(join(runs, 'fresh', LATENT_FILE), 'utf8')));
      assert.deepEqual(layout.discrete, [{ size: 4, inferred: 'reconstruction' }]);
      assert.equal(klPerDim?.length, 3);
      const edited = (await (await get('edited')).json()) as RunDetail;
      assert.equal(edited.latent?.continuous, 7, 'read from the file, not from config.json');
    });

    it('an af49a90 run without latent.json: derived from its config', async () => {
      const detail = (await (await get('old')).json()) as RunDetail;
      assert.equal(detail.latent?.source, 'config');
      assert.deepEqual(
        { ...detail.latent, source: undefined, klPerDim: undefined },
        {
          model: 'beta-vae',
          continuous: 2,
          code: 'gaussian',
          discrete: [],
          decoder: 'bernoulli',
          source: undefined,
          klPerDim: undefined,
        },
      );
    });

    it('a broken latent.json: 422 naming the file and the field', async () => {
      const response = await get('broken');
      assert.equal(response.status, 422);
      const { error } = (await response.json()) as { error: string };
      assert.match(error, /broken\/latent\.json: decoder: /);
      const groups = await get('broken-fhvae');
      assert.equal(groups.status, 422);
      assert.match(
        ((await groups.json()) as { error: string }).error,
        /broken-fhvae\/latent\.json: groups: the groups' dims must add up to continuous/,
      );
    });

    it('an FHVAE run: latent.json with z1 and z2; the af49a90 FHVAE run derives the same from its config', async () => {
      const written = JSON.parse(readFileSync(join(runs, 'fhvae', LATENT_FILE), 'utf8'));
      assert.deepEqual(written, fhvaeLayout(2, 3));
      const detail = (await (await get('fhvae')).json()) as RunDetail;
      const { klPerDim, source, ...layout } = detail.latent!;
      assert.deepEqual([source, klPerDim, layout], ['latent.json', null, written]);
      const old = (await (await get('old-fhvae')).json()) as RunDetail;
      const { source: oldSource, klPerDim: _, ...oldLayout } = old.latent!;
      assert.equal(oldSource, 'config');
      assert.deepEqual(oldLayout, fhvaeLayout(2, 2), 'its config.json: z1Dim 2, z2Dim 2');
    });
  });
});

describe('decoder-output: the reconstruction rule', () => {
  it('costs every category of one latent with the others held, as −log Bernoulli by hand', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { categoryCosts } = await import('../src/models/decoder-output.ts');
    // a linear "decoder" from inputs [z (2), before (2), this latent (3), after (2)] to 4 pixel logits
    const w = Array.from({ length: 9 * 4 }, (_, i) => Math.sin(i + 1));
    const decode = (input: import('@tensorflow/tfjs-core').Tensor2D) =>
      tf.reshape(tf.matMul(input, tf.tensor2d(w, [9, 4])), [input.shape[0], 2, 2, 1]);
    const z = [
      [0.5, -1],
      [2, 0.25],
    ];
    const before = [
      [0, 1],
      [1, 0],
    ];
    const after = [
      [1, 0],
      [0, 1],
    ];
    const x = [
      [1, 0, 0, 1],
      [0, 0, 1, 1],
    ];
    const costs = categoryCosts('bernoulli', decode, tf.tensor2d(z), tf.tensor4d(x.flat(), [2, 2, 2, 1]), 3, {
      before: tf.tensor2d(before),
      after: tf.tensor2d(after),
    }).arraySync();
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < 3; k++) {
        const input = [...z[i], ...before[i], ...[0, 1, 2].map((c) => (c === k ? 1 : 0)), ...after[i]];
        let nll = 0;
        for (let p = 0; p < 4; p++) {
          const logit = input.reduce((s, v, j) => s + v * w[j * 4 + p], 0);
          const q = 1 / (1 + Math.exp(-logit));
          nll -= x[i][p] * Math.log(q) + (1 - x[i][p]) * Math.log(1 - q);
        }
        assert.ok(Math.abs(costs[i][k] - nll) < 1e-4, `example ${i} category ${k}: ${costs[i][k]} vs ${nll}`);
      }
    }
  });
});

describe('decoder-output: the Gaussian decoder (the FHVAE’s frames)', () => {
  it('−log N per example and the mean, from [means, log-variances] on the last axis, by hand', async () => {
    const tf = await import('@tensorflow/tfjs-core');
    const { decoderMean, negLogLikelihood } = await import('../src/models/decoder-output.ts');
    // 2 examples of 2 frames of 2 bins: output [2, 2, 4] = [mean (2), logVar (2)] per frame
    const output = Array.from({ length: 16 }, (_, i) => Math.cos(i + 0.5));
    const x = Array.from({ length: 8 }, (_, i) => Math.sin(2 * i));
    const nll = negLogLikelihood('gaussian', tf.tensor3d(output, [2, 2, 4]), tf.tensor3d(x, [2, 2, 2]));
    const mean = decoderMean('gaussian', tf.tensor3d(output, [2, 2, 4]));
    assert.deepEqual(mean.shape, [2, 2, 2]);
    const means = mean.dataSync();
    const costs = nll.dataSync();
    for (let n = 0; n < 2; n++) {
      let expected = 0;
      for (let t = 0; t < 2; t++) {
        for (let b = 0; b < 2; b++) {
          const m = output[(n * 2 + t) * 4 + b];
          const logVar = output[(n * 2 + t) * 4 + 2 + b];
          const v = x[(n * 2 + t) * 2 + b];
          assert.ok(Math.abs(means[(n * 2 + t) * 2 + b] - m) < 1e-6);
          expected += 0.5 * (Math.log(2 * Math.PI) + logVar + (v - m) ** 2 / Math.exp(logVar));
        }
      }
      assert.ok(Math.abs(costs[n] - expected) < 1e-4, `example ${n}: ${costs[n]} vs ${expected}`);
    }
  });
});

describe('latent-layout: the explorer’s slider ranges', () => {
  it('a Gaussian code ±4 prior std; a deterministic one its codes’ mean ±4 of their std (ddof 1)', async () => {
    const { continuousRanges } = await import('../src/models/latent-layout.ts');
    const layout = {
      model: 'm',
      continuous: 2,
      code: 'gaussian' as const,
      discrete: [],
      decoder: 'bernoulli' as const,
    };
    const codes = [
      [1, 5],
      [3, 5],
      [5, 5],
    ];
    assert.deepEqual(continuousRanges(layout, codes), [
      [-4, 4],
      [-4, 4],
    ]);
    const deterministic = { ...layout, code: 'deterministic' as const };
    // dim 0: mean 3, std 2 -> 3 ± 8; dim 1 does not vary: 5 ± 4
    assert.deepEqual(continuousRanges(deterministic, codes), [
      [-5, 11],
      [1, 9],
    ]);
    assert.deepEqual(continuousRanges(deterministic, [[7, 7]]), [
      [-4, 4],
      [-4, 4],
    ]);
  });
});
