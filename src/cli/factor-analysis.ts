import { join } from 'node:path';
import type { Command } from 'commander';
import type { GroundTruthData } from '../data/ground-truth.ts';
import { sampleBatch } from '../data/ground-truth.ts';
import { createDataset } from '../data/registry.ts';
import { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { writeNpy } from '../io/npy.ts';
import { writePngAtomic } from '../io/png.ts';
import { type ReconstructionError, reconstructionError } from '../metrics/reconstruction-error.ts';
import { fitFactorAnalysis, posterior, reconstruct } from '../models/factor-analysis.ts';
import type { Model } from '../models/model.ts';
import { loadRun } from '../run/load-run.ts';
import { imageAt, imageGrid, reconstructionGrid, rowsOf } from '../viz/image-grid.ts';
import { decodeCodes, encodeMeans } from '../viz/latent-pictures.ts';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';
import { prepareRunDir } from './run-dir.ts';

interface FactorAnalysisFlags {
  dataset: string;
  variant?: string;
  factors: number;
  points: number;
  testPoints: number;
  iterations: number;
  seed: number;
  out: string;
  compare?: string;
  overwrite?: boolean;
}

/** Columns of the comparison picture: originals, FA's and the VAE's reconstructions, one row each. */
const COMPARISON_COLUMNS = 16;

export function register(program: Command): void {
  program
    .command('factor-analysis')
    .description('fit the linear Gaussian factor model by EM: loadings, closed-form posterior, pictures')
    .option('--dataset <name>', 'dataset name', 'dsprites')
    .option('--variant <name>', 'dataset variant')
    .option(
      '--factors <k>',
      'latent factors (with --compare: the run’s latent dims)',
      intOption('--factors'),
      10,
    )
    .option('--points <n>', 'training images drawn from the dataset', intOption('--points'), 5000)
    .option(
      '--test-points <n>',
      'further images the reconstruction error is measured on',
      intOption('--test-points'),
      1000,
    )
    .option('--iterations <n>', 'most EM iterations', intOption('--iterations'), 100)
    .option('--seed <s>', 'seed of the sample and the initial loadings', intOption('--seed'), 0)
    .option(
      '--compare <run>',
      'a VAE run folder (`untangle train`): fit on its dataset, compare reconstructions of the same images',
    )
    .requiredOption('--out <dir>', 'run folder to create')
    .option('--overwrite', 'replace an existing run folder')
    .action(async (flags: FactorAnalysisFlags, command: Command) => {
      const explicit = (name: string) => command.getOptionValueSource(name) === 'cli';
      const vae = flags.compare ? await loadComparedRun(flags, explicit) : undefined;
      const data = vae?.data ?? createDataset(flags.dataset, flags.variant);
      const k = vae ? vae.model.latentDim : flags.factors;
      if (flags.points < 1 || flags.testPoints < 1 || k < 1) {
        throw new UsageError('--points, --test-points and --factors must be at least 1');
      }
      await prepareRunDir(flags.out, Boolean(flags.overwrite));
      const rng = new Rng(flags.seed);
      const [h, w, c] = data.observationShape;
      const d = h * w * c;
      const { x: images } = sampleBatch(data, flags.points, rng);
      const { model, logLikelihood } = fitFactorAnalysis(Float64Array.from(images), flags.points, d, rng, {
        factors: k,
        iterations: flags.iterations,
        onIteration: (i, ll) =>
          process.stderr.write(`EM ${i + 1}: average log-likelihood ${ll.toFixed(2)}\n`),
      });

      // reconstructions E[x | E[z|x]] = W E[z|x] + μ of further images, and their error
      const n = flags.testPoints;
      const { x: test } = sampleBatch(data, n, rng);
      const { posteriorMean } = posterior(model, Float64Array.from(test), n);
      const recon = reconstruct(model, posteriorMean, n);
      const faError = reconstructionError(test, recon, n, d);
      const shape = [n, h, w, c] as const;
      const shown = Math.min(n, 16);
      await writePngAtomic(
        join(flags.out, 'reconstructions.png'),
        reconstructionGrid(
          { data: test, shape },
          { data: Float32Array.from(recon, clamp), shape },
          shown,
          8,
          { upscale: 2 },
        ),
      );
      // each loading column as an image, scaled to its own range
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

      let comparison: Record<string, unknown> | undefined;
      if (vae) {
        const vaeRecon = decodeCodes(vae.model, encodeMeans(vae.model, test, n, data.observationShape), n);
        const vaeError = reconstructionError(test, vaeRecon, n, d);
        const batch = (values: Float32Array) => ({ data: values, shape });
        const cols = Math.min(n, COMPARISON_COLUMNS);
        const rows = [batch(test), batch(Float32Array.from(recon, clamp)), batch(vaeRecon)].map((b) =>
          Array.from({ length: cols }, (_, i) => imageAt(b, i)),
        );
        await writePngAtomic(join(flags.out, 'comparison.png'), imageGrid(rows, { upscale: 2 }));
        comparison = {
          run: flags.compare,
          model: vae.model.kind,
          latentDim: k,
          testPoints: n,
          factorAnalysis: faError,
          vae: vaeError,
        };
        process.stdout.write(comparisonTable(faError, vaeError, vae.model.kind));
      }
      const summary = {
        model: 'factor-analysis',
        dataset: data.name,
        factors: k,
        points: flags.points,
        seed: flags.seed,
        iterations: logLikelihood.length,
        logLikelihood,
        heldOutSquaredError: faError.squaredErrorPerImage,
        reconstructionError: faError,
        ...(comparison ? { comparison } : {}),
      };
      await writeFileAtomic(join(flags.out, 'factor-analysis.json'), `${JSON.stringify(summary, null, 2)}\n`);
      process.stdout.write(
        `average log-likelihood ${logLikelihood.at(-1)?.toFixed(2)}, held-out squared error per image ${faError.squaredErrorPerImage.toFixed(2)}\n`,
      );
    });
}

/** The run to compare with; its dataset and latent size stand unless the flags name the same ones. */
async function loadComparedRun(
  flags: FactorAnalysisFlags,
  explicit: (name: string) => boolean,
): Promise<{ model: Model; data: GroundTruthData }> {
  const { config, model, data } = await loadRun(flags.compare!);
  if (explicit('dataset') && flags.dataset !== config.dataset) {
    throw new UsageError(
      `--dataset ${flags.dataset}: the run ${flags.compare} was trained on ${config.dataset}; leave --dataset out to use it`,
    );
  }
  if (explicit('variant') && flags.variant !== config.variant) {
    throw new UsageError(
      `--variant ${flags.variant}: the run ${flags.compare} was trained on variant ${config.variant ?? '(default)'}; leave --variant out to use it`,
    );
  }
  if (explicit('factors') && flags.factors !== model.latentDim) {
    throw new UsageError(
      `--factors ${flags.factors}: the run ${flags.compare} has ${model.latentDim} latent dims, compare with as many factors (leave --factors out)`,
    );
  }
  if (model.discrete) {
    throw new UsageError(
      `--compare ${flags.compare}: a ${model.kind} run has discrete latents; compare a run of a Gaussian VAE`,
    );
  }
  return { model, data };
}

function comparisonTable(fa: ReconstructionError, vae: ReconstructionError, kind: string): string {
  const row = (name: string, e: ReconstructionError) =>
    `${name.padEnd(16)} ${e.meanSquaredErrorPerPixel.toFixed(5).padStart(12)} ${e.squaredErrorPerImage.toFixed(2).padStart(12)} ${e.bernoulliCrossEntropyPerImage.toFixed(2).padStart(12)}\n`;
  return `${'model'.padEnd(16)} ${'MSE/pixel'.padStart(12)} ${'SE/image'.padStart(12)} ${'BCE/image'.padStart(12)}\n${row('factor-analysis', fa)}${row(kind, vae)}`;
}

function clamp(v: number): number {
  return Math.min(1, Math.max(0, v));
}
