import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { UsageError } from './errors.ts';
import { collect, intOption } from './options.ts';
import { trainAction } from './train.ts';

/** `untangle train-fhvae`: an alias of `untangle train --model fhvae --dataset speech --data-path CORPUS`. */
interface TrainFhvaeFlags {
  corpus?: string;
  out?: string;
  steps?: number;
  seed?: number;
  alpha?: string;
  config?: string;
  set: string[];
  backend?: BackendName;
  threads?: number;
  resume?: string;
  overwrite?: boolean;
}

export function register(program: Command): void {
  program
    .command('train-fhvae')
    .description('train an FHVAE on a speech corpus folder (alias of train --model fhvae --dataset speech)')
    .option('--corpus <dir>', 'speech corpus folder (written by `untangle data speech`)')
    .option('--out <dir>', 'run folder to create')
    .option('--steps <n>', 'training steps', intOption('--steps'))
    .option('--seed <s>', 'seed of every random draw', intOption('--seed'))
    .option('--alpha <a>', 'weight of the discriminative term (default 10)')
    .option('--config <file>', 'JSON config file (flags and --set override it)')
    .option(
      '--set <key=value>',
      'override a config key or model option, e.g. batchSize=64 or units=128 (repeatable)',
      collect,
      [],
    )
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .option(
      '--threads <n>',
      'threads splitting each batch (default: every core, at most 4)',
      intOption('--threads'),
    )
    .option('--resume <dir>', 'continue the run in this folder from its last checkpoint')
    .option('--overwrite', 'replace an existing run folder')
    .action(async ({ corpus, alpha, ...flags }: TrainFhvaeFlags) => {
      if (flags.resume == null && flags.out == null)
        throw new UsageError('train-fhvae: --out DIR is required (or --resume DIR)');
      if (flags.resume == null && corpus == null)
        throw new UsageError('train-fhvae: --corpus DIR is required');
      const withAlpha = alpha === undefined ? [] : [`alpha=${numberFlag('--alpha', alpha)}`];
      await trainAction({
        ...flags,
        ...(flags.resume == null ? { model: 'fhvae', dataset: 'speech' } : {}),
        dataPath: corpus,
        set: [...withAlpha, ...flags.set],
      });
    });
}

export function numberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`${flag} expects a number, got "${value}"`);
  return n;
}
