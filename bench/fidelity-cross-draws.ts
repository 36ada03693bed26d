/**
 * `npm run fidelity:cross-draws -- --weights-seed S --draws-seed T --out RUN [--steps N]`: Untangle trains
 * the demo's recipe (β-TCVAE β = 10, as `npm run fidelity:peer` runs it) from seed S's initial weights on
 * seed T's draws: the batches and noise that seed T's run takes after building its model. Then it scores
 * the run as fidelity:peer does (`untangle evaluate RUN --metrics mig --codes mean`, seed T's points) and
 * prints one JSON line. S = T is the recipe's own run of that seed; bench/fidelity_peer.py --init-from
 * (seed S's weights) --streams (seed T's draws) is the same pairing in PyTorch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { DEMO_RECIPE } from '../src/cli/demo.ts';
import { useBackend } from '../src/engine/backend.ts';
import type { Model } from '../src/models/model.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { CONFIG_FILE } from '../src/run/load-run.ts';
import { lastTenth } from '../src/sweep/training-tail.ts';
import { buildSession } from '../src/train/session.ts';
import { train } from '../src/train/trainer.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    'weights-seed': { type: 'string' },
    'draws-seed': { type: 'string' },
    out: { type: 'string' },
    steps: { type: 'string', default: String(DEMO_RECIPE.steps) },
  },
});
function fail(message: string): never {
  process.stderr.write(`fidelity:cross-draws: ${message}\n`);
  process.exit(2);
}
const int = (flag: string, text: string | undefined) => {
  const n = Number(text);
  if (text == null || !Number.isInteger(n) || n < 0)
    fail(`${flag}: a non-negative integer was expected, got ${text}`);
  return n;
};
const weightsSeed = int('--weights-seed', values['weights-seed']);
const drawsSeed = int('--draws-seed', values['draws-seed']);
const steps = int('--steps', values.steps);
if (values.out == null) fail('--out RUN: the run folder to create was expected');
const runDir = values.out;
if (existsSync(runDir)) fail(`--out ${runDir}: already exists (a new folder was expected)`);

const configOf = (seed: number) =>
  resolveTrainConfig({ ...DEMO_RECIPE, seed, steps, logEvery: 10, checkpointEvery: steps });
const variablesOf = (model: Model) => [...new Set(model.objectives.flatMap((o) => o.variables()))];

await useBackend('wasm');
// the donor's weights are read out first: two models at once would register their variables twice
const donor = buildSession(configOf(weightsSeed));
const start = variablesOf(donor.model).map((v) => ({ name: v.name, values: v.dataSync().slice() }));
tf.disposeVariables();
const config = configOf(drawsSeed);
const session = buildSession(config);
const variables = variablesOf(session.model);
if (variables.length !== start.length) fail('the two seeds built different models');
for (const [i, v] of variables.entries()) v.assign(tf.tensor(start[i].values, v.shape));

mkdirSync(runDir, { recursive: true });
writeFileSync(join(runDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
writeFileSync(join(runDir, 'cross-draws.json'), `${JSON.stringify({ weightsSeed, drawsSeed })}\n`);
const began = performance.now();
await train(session, runDir, { progress: true });
const seconds = (performance.now() - began) / 1000;
tf.disposeVariables();

const cli = join(root, 'bin', 'untangle.js');
const scored = spawnSync(process.execPath, [cli, 'evaluate', runDir, '--metrics', 'mig', '--codes', 'mean'], {
  encoding: 'utf8',
});
if (scored.status !== 0) fail(`untangle evaluate ${runDir} failed: ${scored.stderr.trim()}`);
const metrics = JSON.parse(readFileSync(join(runDir, 'metrics.json'), 'utf8'));
const line = {
  weightsSeed,
  drawsSeed,
  steps,
  seconds,
  ...lastTenth(runDir),
  activeUnits: metrics.posterior.activeUnits,
  klPerDim: metrics.posterior.klPerDim,
  mig: metrics.headline.mig,
};
process.stdout.write(`${JSON.stringify(line)}\n`);
