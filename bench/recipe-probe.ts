/**
 * The demo's recipe search (docs/fidelity.md, "The demo's recipe"): trains one candidate on dSprites in
 * stages and, at each stop, prints one JSON line (step, training seconds so far, MIG on 5,000 points,
 * reconstruction and KL over the last 100 steps, KL per dim on the data) and each dim's normalised mutual
 * information with the five factors. A stage resumes the last one's checkpoint (bit-exact), so the
 * final model is the one a straight run trains; running it again on the folder continues it.
 * Usage: tsx bench/recipe-probe.ts OUT_DIR CONFIG_JSON STEP,STEP,... e.g.
 *   nice -n 19 npx tsx bench/recipe-probe.ts runs/probe-d '{"model":"beta-tcvae","modelOptions":{"beta":10},"learningRate":0.002}' 300,600,1000,1500
 */
import { existsSync, mkdirSync } from 'node:fs';
import { runTraining } from '../src/jobs/run-training.ts';
import { evaluateRun } from '../src/metrics/evaluate-run.ts';
import type { MigResult } from '../src/metrics/mig.ts';
import { resolveTrainConfig } from '../src/run/config.ts';
import { saveRunConfig } from '../src/run/load-run.ts';
import { readLog } from '../src/run/log.ts';

const [out, json, stopsArg] = process.argv.slice(2);
if (!out || !json || !stopsArg) {
  process.stderr.write('usage: recipe-probe.ts OUT_DIR CONFIG_JSON STEP,STEP,...\n');
  process.exit(2);
}
const stops = stopsArg.split(',').map(Number);
const config = resolveTrainConfig({
  dataset: 'dsprites',
  threads: 1,
  logEvery: 10,
  checkpointEvery: 250,
  ...JSON.parse(json),
  steps: stops.at(-1),
});
let resume = existsSync(out);
if (!resume) {
  mkdirSync(out, { recursive: true });
  await saveRunConfig(out, config);
}
const began = Date.now();
for (const step of stops) {
  await runTraining({ ...config, steps: step }, out, resume, { progress: false });
  resume = true;
  const trainSeconds = Math.round((Date.now() - began) / 1000);
  const m = await evaluateRun(out, {
    metrics: ['mig'],
    kinds: ['mean'],
    seed: 0,
    overrides: { mig: { numTrain: 5000 } },
    posterior: true,
  });
  const mig = m.codes.mean!.mig.result as MigResult;
  const log = readLog(out).filter((e) => e.step > step - 100 && e.step <= step);
  const avg = (k: string) =>
    (log.reduce((a, e) => a + (e[k] as number), 0) / Math.max(1, log.length)).toFixed(1);
  const line = {
    out,
    step,
    tTrain: trainSeconds,
    mig: +m.headline.mig.toFixed(3),
    rec: avg('reconstruction'),
    kl: avg('kl'),
    klPerDim: m.posterior!.klPerDim.map((v) => +v.toFixed(2)),
  };
  console.log(JSON.stringify(line));
  const normalized = mig.mutualInformation.map((row) =>
    row.map((v, k) => (v / mig.factorEntropy[k]).toFixed(2)).join(' '),
  );
  console.log(`  normMI (shape scale orient posX posY) per dim:\n   ${normalized.join('\n   ')}`);
}
