import { basename } from 'node:path';
import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { loadRun } from '../run/load-run.ts';
import { latentComparisonSvg } from '../viz/latent-comparison.ts';
import { svgToPng } from '../viz/vega-render.ts';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';

/** Images encoded per panel at most (Vega draws every point). */
const MAX_POINTS = 20_000;

interface ScatterFlags {
  out: string;
  points: number;
  seed: number;
  scale: number;
  backend?: BackendName;
}

export function register(program: Command): void {
  program
    .command('scatter')
    .argument('<runs...>', 'run folders of models with a 2-D latent, trained on one labelled dataset')
    .description(
      "draw the runs' codes E[z|x] of the same images side by side, coloured by class (the lectures' AE-vs-VAE picture)",
    )
    .requiredOption('--out <file>', 'the picture: FILE.svg or FILE.png')
    .option('--points <n>', 'images encoded', intOption('--points'), 2000)
    .option('--seed <n>', 'seed of the images drawn', intOption('--seed'), 0)
    .option('--scale <n>', 'pixels per SVG unit of a .png', intOption('--scale'), 2)
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .action(async (runDirs: string[], flags: ScatterFlags) => {
      if (!/\.(svg|png)$/i.test(flags.out))
        throw new UsageError(`--out ${flags.out}: expected a .svg or .png file`);
      if (flags.points < 1 || flags.points > MAX_POINTS)
        throw new UsageError(`--points expects 1 to ${MAX_POINTS} images, got ${flags.points}`);
      if (flags.scale < 1 || flags.scale > 4)
        throw new UsageError(`--scale expects 1 to 4, got ${flags.scale}`);
      const models = [];
      for (const dir of runDirs) {
        const { config, model, data } = await loadRun(dir, flags.backend);
        models.push({ title: `${config.model} (${basename(dir)})`, model, data });
      }
      const svg = await latentComparisonSvg(models, { points: flags.points, seed: flags.seed });
      await writeFileAtomic(flags.out, /\.png$/i.test(flags.out) ? svgToPng(svg, flags.scale) : svg);
      process.stdout.write(`${flags.out}\n`);
    });
}
