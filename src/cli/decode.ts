import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { readArrayFile } from '../io/array-file.ts';
import { writeNpy } from '../io/npy.ts';
import { writePngAtomic } from '../io/png.ts';
import { codeWidths, decodeLatents, INFERENCE_DEFAULTS } from '../models/inference.ts';
import { loadRun } from '../run/load-run.ts';
import { imageAt, imageGrid } from '../viz/image-grid.ts';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';

interface DecodeFlags {
  codes: string;
  out: string;
  columns: number;
  batchSize: number;
  backend?: BackendName;
}

/** The most images a grid.png shows (an .npy takes any number). */
const MAX_GRID_IMAGES = 4096;

export function register(program: Command): void {
  program
    .command('decode')
    .argument('<run>', 'run folder written by `untangle train`')
    .description(
      'decode latent codes with a trained run into images: an .npy [n,h,w,c] in [0, 1] or a grid .png',
    )
    .requiredOption(
      '--codes <file>',
      'codes [n, latents] (or latents then one-hot discrete/conditional columns): .npy, .npz or FILE.npz:NAME',
    )
    .requiredOption('--out <file>', 'images.npy (float32 [n,h,w,c]) or grid.png')
    .option('--columns <n>', 'images per row of a grid .png', intOption('--columns'), 8)
    .option(
      '--batch-size <n>',
      'codes per forward pass',
      intOption('--batch-size'),
      INFERENCE_DEFAULTS.batchSize,
    )
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .action(async (runDir: string, flags: DecodeFlags) => {
      const png = flags.out.endsWith('.png');
      if (!png && !flags.out.endsWith('.npy'))
        throw new UsageError(`--out ${flags.out}: expected an .npy or .png file name`);
      if (flags.columns < 1) throw new UsageError('--columns expects a positive integer, got 0');
      if (flags.batchSize < 1) throw new UsageError('--batch-size expects a positive integer, got 0');
      const { model, data } = await loadRun(runDir, flags.backend);
      const array = readArrayFile(flags.codes, '--codes');
      const { latent, extra } = codeWidths(model);
      const widths = extra > 0 ? `${latent} or ${latent + extra}` : `${latent}`;
      if (array.shape.length !== 2 || array.dtype === 'uint8') {
        throw new UsageError(
          `--codes ${flags.codes}: ${array.dtype} of shape [${array.shape.join(', ')}], expected floats of shape [n, ${widths}]`,
        );
      }
      const [n, width] = array.shape;
      if (png && n > MAX_GRID_IMAGES)
        throw new UsageError(
          `--codes ${flags.codes}: ${n} codes, a grid .png shows at most ${MAX_GRID_IMAGES}`,
        );
      const codes = Float32Array.from(array.data as ArrayLike<number | bigint>, Number);
      const bad = codes.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new UsageError(
          `--codes ${flags.codes}: value ${codes[bad]} at flat index ${bad}, expected finite numbers`,
        );
      }
      if (width !== latent && width !== latent + extra) {
        throw new UsageError(
          `--codes ${flags.codes}: ${width} columns, expected ${widths} for this ${model.kind} run`,
        );
      }
      const shape = data.observationShape;
      const images = decodeLatents(model, codes, width, shape, { batchSize: flags.batchSize });
      if (png) {
        const batch = { data: images, shape: [n, shape[0], shape[1], shape[2]] as const };
        const cells = Array.from({ length: Math.ceil(n / flags.columns) }, (_, r) =>
          Array.from({ length: Math.min(flags.columns, n - r * flags.columns) }, (_, c) =>
            imageAt(batch, r * flags.columns + c),
          ),
        );
        await writePngAtomic(flags.out, imageGrid(cells));
      } else {
        writeNpy(flags.out, { dtype: 'float32', shape: [n, ...shape], data: images });
      }
      process.stdout.write(`${flags.out}: ${n} images of ${shape.join('x')}\n`);
    });
}
