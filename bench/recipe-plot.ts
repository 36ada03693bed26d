/**
 * The recipe's MIG (and training reconstruction) against step, from bench/recipe-probe.ts outputs,
 * drawn by the study machinery's metric-vs-step chart (studyPlots).
 * Usage: tsx bench/recipe-plot.ts OUT_DIR LABEL=PROBE_OUTPUT ... e.g.
 *   npx tsx bench/recipe-plot.ts docs/fidelity 'D: Adam 2e-3, seed 0=runs/probe-d.out'
 * writes OUT_DIR/recipe-mig-vs-step.png and recipe-reconstruction-vs-step.png.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { StudyDefinition } from '../src/sweep/study-definitions.ts';
import { type StudyObservation, studyPlots } from '../src/sweep/study-report.ts';
import { svgToPng, vegaLiteToSvg } from '../src/viz/vega-render.ts';

const [outDir, ...runs] = process.argv.slice(2);
if (!outDir || runs.length === 0) {
  process.stderr.write('usage: recipe-plot.ts OUT_DIR LABEL=PROBE_OUTPUT ...\n');
  process.exit(2);
}
const observations: StudyObservation[] = runs.map((arg, seed) => {
  const at = arg.lastIndexOf('=');
  const points = readFileSync(arg.slice(at + 1), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      const p = JSON.parse(l);
      return { step: p.step, mig: p.mig, reconstruction: Number(p.rec), kl: Number(p.kl) };
    });
  // each probe its own line: its label as the model name, no setting
  return { model: arg.slice(0, at), setting: {}, seed, values: {}, curve: points };
});
const study = { checks: [], metrics: [], curveMetrics: ['mig'] } as unknown as StudyDefinition;
for (const [name, spec] of studyPlots(study, observations)) {
  if (!name.endsWith('-vs-step')) continue;
  (spec as { config?: unknown }).config = { legend: { labelLimit: 400 } };
  const out = `${outDir}/recipe-${name}.png`;
  writeFileSync(out, svgToPng(await vegaLiteToSvg(spec)));
  console.log(out);
}
