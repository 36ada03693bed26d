/**
 * `npm run fidelity:streams -- --run RUN --out DIR [--steps N]`: the random draws of an Untangle
 * β-VAE or β-TCVAE run on dSprites, replayed from its config.json as the trainer makes them (the
 * session's seeded stream: initial weights, then per step the batch's factors and the step seed behind
 * each example's reparameterisation noise), written for bench/fidelity_peer.py --streams DIR: the
 * initial weights (w<i>.npy, weights.json), the batches as indices into the dSprites .npz
 * (indices.npy, int32 [steps, batch]) and the noise (noise.npy, float32 [steps, batch, latentDim]).
 * The peer trained on them sees what the run saw, so what is left between the two is arithmetic.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { indexOfFactors } from '../src/data/dsprites.ts';
import { useBackend } from '../src/engine/backend.ts';
import { writeNpy } from '../src/io/npy.ts';
import { loadRunConfig } from '../src/run/load-run.ts';
import { buildSession } from '../src/train/session.ts';
import { stepContext } from '../src/train/step-noise.ts';
import { stepDraws } from '../src/train/trainer.ts';
import { writeWeights } from './untangle-weights.ts';

const { values } = parseArgs({
  options: { run: { type: 'string' }, out: { type: 'string' }, steps: { type: 'string' } },
});
function fail(message: string): never {
  process.stderr.write(`fidelity:streams: ${message}\n`);
  process.exit(2);
}
if (values.run == null || values.out == null) fail('usage: --run RUN --out DIR [--steps N]');
const config = await loadRunConfig(values.run);
if (config.dataset !== 'dsprites' || !['beta-vae', 'beta-tcvae'].includes(config.model))
  fail(
    `${values.run}: a β-VAE or β-TCVAE run on dsprites was expected, got ${config.model} on ${config.dataset}`,
  );
const steps = values.steps == null ? config.steps : Number(values.steps);
if (!Number.isInteger(steps) || steps < 1 || steps > config.steps)
  fail(`--steps: an integer in [1, ${config.steps}] was expected, got ${values.steps}`);

await useBackend('wasm');
const session = buildSession(config);
mkdirSync(values.out, { recursive: true });
const weights = writeWeights(values.out, session.model.objectives[0].variables());
const batch = config.batchSize;
const latent = config.latentDim;
const indices = new Int32Array(steps * batch);
const noise = new Float32Array(steps * batch * latent);
for (let step = 0; step < steps; step++) {
  const { batch: slice, stepSeed } = stepDraws(session.task, session.rng, step);
  const { factors } = slice;
  const k = factors.length / batch;
  for (let i = 0; i < batch; i++)
    indices[step * batch + i] = indexOfFactors(factors.subarray(i * k, (i + 1) * k));
  const eps = stepContext(step, stepSeed, 0, factors).normal([batch, latent]);
  noise.set(eps.dataSync() as Float32Array, step * batch * latent);
  eps.dispose();
}
writeNpy(join(values.out, 'indices.npy'), { dtype: 'int32', shape: [steps, batch], data: indices });
writeNpy(join(values.out, 'noise.npy'), { dtype: 'float32', shape: [steps, batch, latent], data: noise });
writeFileSync(
  join(values.out, 'weights.json'),
  JSON.stringify({ model: config.model, modelOptions: config.modelOptions, latentDim: latent, weights }),
);
tf.disposeVariables();
process.stdout.write(`fidelity:streams: ${steps} steps of ${values.run}'s draws in ${values.out}\n`);
