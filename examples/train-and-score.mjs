// Train a β-VAE on dSprites for a few steps, then score its codes with MIG and DCI.
// Usage: node examples/train-and-score.mjs RUN_DIR [STEPS]
import { dci, encode, mig, Rng, sampleBatch, train } from 'untangle';

const [out, steps = '20'] = process.argv.slice(2);
const run = await train(
  { model: 'beta-vae', dataset: 'dsprites', steps: Number(steps), batchSize: 16, modelOptions: { beta: 4 } },
  { out, onStep: (entry, step) => step % 10 === 0 && console.error(`step ${step}: loss ${entry.total}`) },
);
// 2,000 fresh observations with their ground-truth factors, encoded to posterior means
const { factors, x } = sampleBatch(run.data, 2000, new Rng(1));
const { mean, n } = encode(run, x);
const codes = { data: mean, shape: [n, run.model.latentDim] };
const labels = { data: factors, shape: [n, run.data.factorNames.length] };
const scores = {
  mig: mig(codes, labels, { numTrain: 2000 }).mig,
  dciDisentanglement: dci(codes, labels, { numTrain: 1500, numTest: 500, stages: 20 }).disentanglement,
};
console.log(JSON.stringify(scores));
