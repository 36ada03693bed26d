import { join } from 'node:path';
import type { Command } from 'commander';
import { sampleBatch } from '../data/ground-truth.ts';
import { createDataset } from '../data/registry.ts';
import { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { writeNpy } from '../io/npy.ts';
import { fitFactorAnalysis, posterior, reconstruct } from '../models/factor-analysis.ts';
import { imageGrid, reconstructionGrid, rowsOf } from '../viz/image-grid.ts';
import { writePngAtomic } from '../viz/png.ts';
import { intOption } from './options.ts';
import { prepareRunDir } from './run-dir.ts';

interface FactorAnalysisFlags {
  dataset: string;
  variant?: string;
  factors: number;
  points: number;
  iterations: number;
  seed: number;
  out: string;
  overwrite?: boolean;
}

export function register(program: Command): void {
  program
    .command('factor-analysis')
    .description('fit the linear Gaussian factor model by EM: loadings, closed-form posterior, pictures')
    .option('--dataset <name>', 'dataset name', 'dsprites')
    .option('--variant <name>', 'dataset variant')
    .option('--factors <k>', 'latent factors', intOption('--factors'), 10)
    .option('--points <n>', 'training images drawn from the dataset', intOption('--points'), 5000)
    .option('--iterations <n>', 'most EM iterations', intOption('--iterations'), 100)
    .option('--seed <s>', 'seed of the sample and the initial loadings', intOption('--seed'), 0)
    .requiredOption('--out <dir>', 'run folder to create')
    .option('--overwrite', 'replace an existing run folder')
    .action(async (flags: FactorAnalysisFlags) => {
      const data = createDataset(flags.dataset, flags.variant);
      await prepareRunDir(flags.out, Boolean(flags.overwrite));
      const rng = new Rng(flags.seed);
      const [h, w, c] = data.observationShape;
      const d = h * w * c;
      const { x: images } = sampleBatch(data, flags.points, rng);
      const { model, logLikelihood } = fitFactorAnalysis(Float64Array.from(images), flags.points, d, rng, {
        factors: flags.factors,
        iterations: flags.iterations,
        onIteration: (i, ll) =>
          process.stderr.write(`EM ${i + 1}: average log-likelihood ${ll.toFixed(2)}\n`),
      });

      // held-out reconstructions E[x | E[z|x]] and their error
      const { x: test } = sampleBatch(data, 1000, rng);
      const { posteriorMean } = posterior(model, Float64Array.from(test), 1000);
      const recon = reconstruct(model, posteriorMean, 1000);
      const squaredError = recon.reduce((s, v, i) => s + (v - test[i]) ** 2, 0) / 1000;
      const shape = [1000, h, w, c] as const;
      await writePngAtomic(
        join(flags.out, 'reconstructions.png'),
        reconstructionGrid({ data: test, shape }, { data: Float32Array.from(recon, clamp), shape }, 16, 8, {
          upscale: 2,
        }),
      );
      // each loading column as an image, scaled to its own range
      const k = flags.factors;
      const columns = Array.from({ length: k }, (_, f) => {
        const col = Float32Array.from({ length: d }, (_, a) => model.loadings[a * k + f]);
        const top = col.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-12);
        return { data: col.map((v) => 0.5 + v / (2 * top)), height: h, width: w, channels: c };
      });
      await writePngAtomic(
        join(flags.out, 'loadings.png'),
        imageGrid(
          rowsOf(k, Math.min(k, 10)).map((row) => row.map((f) => columns[f])),
          { upscale: 2 },
        ),
      );
      writeNpy(join(flags.out, 'loadings.npy'), { dtype: 'float64', shape: [d, k], data: model.loadings });
      writeNpy(join(flags.out, 'noise.npy'), { dtype: 'float64', shape: [d], data: model.noise });
      writeNpy(join(flags.out, 'mean.npy'), { dtype: 'float64', shape: [d], data: model.mean });
      const summary = {
        model: 'factor-analysis',
        dataset: data.name,
        factors: k,
        points: flags.points,
        seed: flags.seed,
        iterations: logLikelihood.length,
        logLikelihood,
        heldOutSquaredError: squaredError,
      };
      await writeFileAtomic(join(flags.out, 'factor-analysis.json'), `${JSON.stringify(summary, null, 2)}\n`);
      process.stdout.write(
        `average log-likelihood ${logLikelihood.at(-1)?.toFixed(2)}, held-out squared error per image ${squaredError.toFixed(2)}\n`,
      );
    });
}

function clamp(v: number): number {
  return Math.min(1, Math.max(0, v));
}
