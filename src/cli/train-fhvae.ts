import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import type { SpeechCorpus } from '../data/speech/corpus.ts';
import { loadSpeechCorpus } from '../data/speech/load.ts';
import { BACKENDS, type BackendName, useBackend } from '../engine/backend.ts';
import { InputError } from '../io/input-error.ts';
import { readJson } from '../io/read-json.ts';
import type { Fhvae } from '../models/fhvae.ts';
import {
  applySequenceOverrides,
  buildSequenceSession,
  loadSequenceConfig,
  resolveSequenceConfig,
  type SequenceTrainConfig,
  saveSequenceConfig,
  trainSequenceModel,
} from '../train/sequence-trainer.ts';
import { writeFhvaePictures } from '../viz/fhvae-pictures.ts';
import { UsageError } from './errors.ts';
import { collect, intOption } from './options.ts';
import { prepareRunDir } from './run-dir.ts';
import { defaultThreads } from './train.ts';

/**
 * `untangle train-fhvae`: its own command rather than `train --model fhvae`, because everything `train`
 * is built on (a GroundTruthData of images, image nets, the image worker pool, the image pictures)
 * differs for a sequence model: it trains on a speech corpus folder, in segment batches, with a μ2
 * table and hierarchical sampling rounds (src/train/sequence-trainer.ts).
 */
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
    .description('train an FHVAE on a speech corpus folder into a run folder (or continue one with --resume)')
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
    .action(async (flags: TrainFhvaeFlags) => {
      const resume = flags.resume != null;
      const runDir = flags.resume ?? flags.out;
      if (runDir == null) throw new UsageError('train-fhvae: --out DIR is required (or --resume DIR)');
      const input = resume ? await resumeInput(flags) : await newRunInput(flags);
      const corpusDir = flags.corpus ?? (input.corpus as string | undefined);
      if (corpusDir == null) throw new UsageError('train-fhvae: --corpus DIR is required');
      const corpus = loadCorpus(corpusDir);
      const config = resolveSequenceConfig({ ...input, corpus: corpusDir }, corpus);
      if (!resume) await prepareRunDir(runDir, Boolean(flags.overwrite));
      await saveSequenceConfig(runDir, config);
      await trainFhvaeRun(config, corpus, runDir, { resume });
      process.stderr.write(`run written to ${runDir}\n`);
    });
}

async function newRunInput(flags: TrainFhvaeFlags): Promise<Record<string, unknown>> {
  const base = flags.config ? await readJson(flags.config) : {};
  if (typeof base !== 'object' || base == null || Array.isArray(base))
    throw new UsageError(`${flags.config}: expected a JSON object of config keys`);
  const input: Record<string, unknown> = { threads: defaultThreads(), ...(base as Record<string, unknown>) };
  for (const key of ['steps', 'seed', 'backend', 'threads'] as const) {
    if (flags[key] !== undefined) input[key] = flags[key];
  }
  const withAlpha = flags.alpha === undefined ? [] : [`alpha=${numberFlag('--alpha', flags.alpha)}`];
  return applySequenceOverrides(input, [...withAlpha, ...flags.set]);
}

async function resumeInput(flags: TrainFhvaeFlags): Promise<Record<string, unknown>> {
  const config = await loadSequenceConfig(flags.resume!);
  return {
    ...config,
    steps: flags.steps ?? config.steps,
    threads: flags.threads ?? config.threads,
    backend: flags.backend ?? config.backend,
  };
}

/** Trains (or resumes) a run folder whose config is saved, then writes its pictures; returns the model. */
export async function trainFhvaeRun(
  config: SequenceTrainConfig,
  corpus: SpeechCorpus,
  runDir: string,
  { resume = false, progress = true }: { resume?: boolean; progress?: boolean } = {},
): Promise<Fhvae> {
  await useBackend(config.backend);
  const session = buildSequenceSession(config, corpus);
  await trainSequenceModel(session, runDir, { resume, progress });
  const shown = corpus.test.length > 0 ? corpus.test : corpus.train;
  try {
    await writeFhvaePictures(session.model, shown, runDir);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    process.stderr.write(`train-fhvae: no pictures (${err.message})\n`);
  }
  return session.model;
}

/** The speech corpus folder (written by `untangle data speech`). */
export function loadCorpus(dir: string): SpeechCorpus {
  if (!existsSync(dir)) throw new InputError(`--corpus ${dir}: no such folder`);
  return loadSpeechCorpus(dir);
}

export function numberFlag(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new UsageError(`${flag} expects a number, got "${value}"`);
  return n;
}
