import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { readImageArray, readPngFolder } from '../data/image-folder.ts';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { NPZ_MEMBER } from '../io/array-file.ts';
import type { NpyArray } from '../io/npy.ts';
import { writeNpz } from '../io/npz.ts';
import { encodeObservations, INFERENCE_DEFAULTS } from '../models/inference.ts';
import { loadRun } from '../run/load-run.ts';
import { UsageError } from './errors.ts';
import { intOption } from './options.ts';

interface EncodeFlags {
  input: string;
  out: string;
  batchSize: number;
  backend?: BackendName;
}

/** Images [n, h, w, c] in [0, 1] from a folder of PNGs or an .npy/.npz, with errors naming --input. */
export function readInputImages(path: string): { images: Float32Array; shape: [number, number, number] } {
  let folder = false;
  // FILE.npz:NAME names a member, not a path on disk
  if (!NPZ_MEMBER.test(path) || existsSync(path)) {
    try {
      folder = statSync(path).isDirectory();
    } catch (err) {
      throw new UsageError(`--input ${path}: cannot read (${(err as Error).message})`);
    }
  }
  const { images, shape } = folder ? readPngFolder(path) : readImageArray(path);
  const floats = images instanceof Float32Array ? images : Float32Array.from(images, (v) => v / 255);
  return { images: floats, shape: [...shape] };
}

export function register(program: Command): void {
  program
    .command('encode')
    .argument('<run>', 'run folder written by `untangle train`')
    .description(
      'encode images with a trained run: an .npz of posterior means (mean), log-variances (log_var) and, for models with discrete latents, their probabilities (discrete, discrete_sizes)',
    )
    .requiredOption(
      '--input <path>',
      "images: a folder of PNGs, or .npy/.npz/FILE.npz:NAME [n,h,w] or [n,h,w,c] (uint8 0..255, uint8 0/1 as in dSprites' imgs, or floats in [0, 1])",
    )
    .requiredOption('--out <file.npz>', 'where to write the codes')
    .option(
      '--batch-size <n>',
      'images per forward pass',
      intOption('--batch-size'),
      INFERENCE_DEFAULTS.batchSize,
    )
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .action(async (runDir: string, flags: EncodeFlags) => {
      if (!flags.out.endsWith('.npz')) throw new UsageError(`--out ${flags.out}: expected a .npz file name`);
      if (flags.batchSize < 1) throw new UsageError('--batch-size expects a positive integer, got 0');
      const { model, data } = await loadRun(runDir, flags.backend);
      const { images, shape } = readInputImages(flags.input);
      const expected = data.observationShape;
      if (shape.some((size, i) => size !== expected[i])) {
        throw new UsageError(
          `--input ${flags.input}: images of ${shape.join('x')} (h x w x c), expected ${expected.join('x')} like the run's ${data.name} data`,
        );
      }
      const encoded = encodeObservations(model, images, expected, { batchSize: flags.batchSize });
      const { n } = encoded;
      const dim = model.latentDim;
      const arrays: Record<string, NpyArray> = {
        mean: { dtype: 'float32', shape: [n, dim], data: encoded.mean },
        log_var: { dtype: 'float32', shape: [n, dim], data: encoded.logVar },
      };
      if (encoded.discrete && encoded.discreteSizes) {
        const width = encoded.discreteSizes.reduce((a, b) => a + b, 0);
        arrays.discrete = { dtype: 'float32', shape: [n, width], data: encoded.discrete };
        const sizes = Int32Array.from(encoded.discreteSizes);
        arrays.discrete_sizes = { dtype: 'int32', shape: [sizes.length], data: sizes };
      }
      if (encoded.conditional && model.conditional) {
        const size = model.conditional.size;
        arrays.conditional = { dtype: 'float32', shape: [n, size], data: encoded.conditional };
      }
      writeNpz(flags.out, arrays);
      process.stdout.write(`${flags.out}: ${Object.keys(arrays).join(', ')} of ${n} images\n`);
    });
}
