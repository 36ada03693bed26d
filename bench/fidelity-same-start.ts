/**
 * `npm run fidelity:same-start`: Untangle and the PyTorch peer (bench/fidelity_peer.py --same-start)
 * evaluated on the same weights, batch and reparameterisation noise. Untangle builds each model
 * (β-VAE, β-TCVAE) from a seed, writes its initial weights, a dSprites batch and the noise as .npy into
 * a folder, and records its loss terms and the L2 norm of every weight's gradient; the peer loads them
 * (converting layouts: HWIO kernels to OIHW, NHWC flatten order to NCHW) and computes the same. Equal
 * terms and gradient norms (to float32 rounding) mean the nets, the losses and their reductions are the
 * same functions. Then both take --adam-steps Adam steps (Untangle's Adam, PyTorch's torch.optim.Adam, at
 * the demo's learning rate) on that one batch and noise, and the losses along the way are compared: equal
 * losses mean the optimisers agree too, so a gap in training comes from the random draws alone.
 * Options: --seed S (0) --batch B (64) --adam-steps K (20) --out DIR (runs/fidelity-same-start)
 * --peer-adam torch|tf (the peer's optimiser: torch.optim.Adam, or TensorFlow 1's form as Untangle's).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { DEMO_RECIPE } from '../src/cli/demo.ts';
import { sampleBatch } from '../src/data/ground-truth.ts';
import { createDataset } from '../src/data/registry.ts';
import { useBackend } from '../src/engine/backend.ts';
import { Rng } from '../src/engine/rng.ts';
import { writeNpy } from '../src/io/npy.ts';
import type { StepContext } from '../src/models/model.ts';
import { buildModel } from '../src/run/build-model.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { Adam } from '../src/train/adam.ts';
import { writeWeights } from './untangle-weights.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '0' },
    batch: { type: 'string', default: '64' },
    'adam-steps': { type: 'string', default: '20' },
    'peer-adam': { type: 'string', default: 'torch' },
    out: { type: 'string', default: join(root, 'runs', 'fidelity-same-start') },
  },
});
const seed = Number(values.seed);
const batch = Number(values.batch);
const adamSteps = Number(values['adam-steps']);
const MODELS = [
  { model: 'beta-vae', modelOptions: { beta: 4 } },
  { model: 'beta-tcvae', modelOptions: { beta: 10 } },
];

await useBackend('wasm');
const data = createDataset('dsprites');
const dataRng = new Rng(seed + 1000);
const { x } = sampleBatch(data, batch, dataRng);
const lines: string[] = [];
for (const spec of MODELS) {
  const config = resolveTrainConfig({ ...spec, dataset: 'dsprites', seed });
  const model = buildModel(config, data, new Rng(seed));
  const eps = dataRng.fillNormal(new Float32Array(batch * config.latentDim));
  const dir = join(values.out, spec.model);
  mkdirSync(dir, { recursive: true });
  writeNpy(join(dir, 'x.npy'), { dtype: 'float32', shape: [batch, 64, 64, 1], data: x });
  writeNpy(join(dir, 'eps.npy'), { dtype: 'float32', shape: [batch, config.latentDim], data: eps });
  const objective = model.objectives[0];
  const variables = objective.variables();
  const weights = writeWeights(dir, variables);
  const ctx: StepContext = {
    step: 0,
    normal: (shape) => tf.tensor(eps, shape),
    uniform: () => {
      throw new Error('not used by these models');
    },
    permutation: () => {
      throw new Error('not used by these models');
    },
  };
  const xs = tf.tensor4d(x, [batch, 64, 64, 1]);
  let terms: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = objective.loss(xs, ctx);
    terms = Object.fromEntries(
      Object.entries(out.terms).map(([k, t]) => [k, (t.dataSync() as Float32Array)[0]]),
    );
    return out.total;
  }, variables);
  const gradNorms = Object.fromEntries(
    variables.map((v) => [
      v.name,
      Math.sqrt((tf.sum(tf.square(grads[v.name])).dataSync() as Float32Array)[0]),
    ]),
  );
  const first = { total: (value.dataSync() as Float32Array)[0], ...terms, gradNorms };
  tf.dispose([value, ...Object.values(grads)]);
  // Adam steps on the same batch and noise: the loss after each
  const adam = new Adam(
    variables.map((v) => v.size),
    { learningRate: DEMO_RECIPE.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  );
  const params = variables.map((v) => (v.dataSync() as Float32Array).slice());
  const losses: number[] = [];
  for (let k = 0; k < adamSteps; k++) {
    const step = tf.variableGrads(() => objective.loss(xs, ctx).total, variables);
    adam.apply(
      params,
      variables.map((v) => step.grads[v.name].dataSync() as Float32Array),
    );
    for (const [i, v] of variables.entries()) {
      const updated = tf.tensor(params[i], v.shape);
      v.assign(updated);
      updated.dispose();
    }
    tf.dispose([step.value, ...Object.values(step.grads)]);
    const after = objective.loss(xs, ctx);
    losses.push((after.total.dataSync() as Float32Array)[0]);
    tf.dispose([after.total, ...Object.values(after.terms), ...(after.klPerDim ? [after.klPerDim] : [])]);
  }
  const untangle = { ...first, losses };
  writeFileSync(join(dir, 'weights.json'), JSON.stringify({ ...spec, latentDim: config.latentDim, weights }));
  const peer = spawnSync(
    '/usr/bin/python3',
    [
      join(root, 'bench', 'fidelity_peer.py'),
      '--same-start',
      dir,
      '--model',
      spec.model,
      '--beta',
      String(spec.modelOptions.beta),
      '--steps',
      String(adamSteps),
      '--lr',
      String(DEMO_RECIPE.learningRate),
      '--adam',
      values['peer-adam'],
    ],
    { encoding: 'utf8' },
  );
  if (peer.status !== 0) {
    process.stderr.write(`fidelity:same-start: the peer failed:\n${peer.stderr.slice(-2000)}\n`);
    process.exit(2);
  }
  const pytorch = JSON.parse(peer.stdout.trim().split('\n').pop()!);
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
  const keys = ['total', 'reconstruction', 'kl'];
  const worstGrad = Math.max(...variables.map((v) => rel(gradNorms[v.name], pytorch.gradNorms[v.name])));
  const worstLoss = Math.max(0, ...losses.map((l, k) => rel(l, pytorch.losses[k])));
  process.stdout.write(`${JSON.stringify({ model: spec.model, untangle, pytorch })}\n`);
  lines.push(
    `| ${spec.model} β=${spec.modelOptions.beta} | ${keys
      .map(
        (k) => `${(untangle as unknown as Record<string, number>)[k].toFixed(3)} / ${pytorch[k].toFixed(3)}`,
      )
      .join(
        ' | ',
      )} | ${worstGrad.toExponential(1)} | ${losses.at(-1)?.toFixed(2)} / ${pytorch.losses.at(-1)?.toFixed(2)} (largest gap ${worstLoss.toExponential(1)}) |`,
  );
  xs.dispose();
}
process.stdout.write(
  [
    `fidelity:same-start — seed ${seed}, batch ${batch}, one loss and gradient at the same weights, data and noise`,
    `| model | total untangle / pytorch | reconstruction | KL | largest relative gap of a weight’s gradient norm | loss after ${adamSteps} Adam steps (largest relative gap on the way) |`,
    '|---|---|---|---|---|---|',
    ...lines,
    '',
  ].join('\n'),
);
