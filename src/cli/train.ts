import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { SpeechCorpus } from '../data/speech/corpus.ts';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { readJson } from '../io/read-json.ts';
import { loadCorpus, runTraining } from '../jobs/run-training.ts';
import {
  applyOverrides,
  isSequenceConfig,
  type RunConfig,
  resolveConfig,
  resolveSequenceConfig,
} from '../run/config.ts';
import { loadAnyRunConfig, saveRunConfig } from '../run/load-run.ts';
import { PRESET_NAMES, presetConfig } from '../train/presets.ts';
import { UsageError } from './errors.ts';
import { collect, intOption } from './options.ts';
import { guardResume, prepareRunDir, resumeOrRestart } from './run-dir.ts';

export interface TrainFlags {
  model?: string;
  dataset?: string;
  variant?: string;
  dataPath?: string;
  steps?: number;
  seed?: number;
  out?: string;
  config?: string;
  set: string[];
  backend?: BackendName;
  threads?: number;
  resume?: string;
  overwrite?: boolean;
  preset?: string;
  sweepIndex?: number;
}

export function register(program: Command): void {
  program
    .command('train')
    .description('train a model on a dataset into a run folder (or continue one with --resume)')
    .option('--model <name>', 'model name, e.g. vae, beta-vae, annealed-vae, fhvae')
    .option('--dataset <name>', 'dataset name, e.g. dsprites (speech for the FHVAE)')
    .option('--variant <name>', 'dataset variant, e.g. color or noisy for dsprites')
    .option(
      '--data-path <path>',
      'files the dataset reads: images (PNG folder or .npy), fashion-mnist (folder), speech (corpus folder)',
    )
    .option('--steps <n>', 'training steps', intOption('--steps'))
    .option('--seed <s>', 'seed of every random draw', intOption('--seed'))
    .option('--out <dir>', 'run folder to create')
    .option('--config <file>', 'JSON config file (flags and --set override it)')
    .option(
      '--set <key=value>',
      'override a config key, e.g. batchSize=32 or beta=8 (repeatable)',
      collect,
      [],
    )
    .option('--backend <name>', `engine backend: ${BACKENDS.join(', ')}`)
    .option(
      '--threads <n>',
      'threads splitting each batch, data parallel (default: every core, at most 4)',
      intOption('--threads'),
    )
    .option('--preset <name>', `start from a named config: ${PRESET_NAMES.join(', ')} (see docs/models.md)`)
    .option(
      '--sweep-index <i>',
      "with --preset dlib: which of the model's sweep values",
      intOption('--sweep-index'),
    )
    .option('--resume <dir>', 'continue the run in this folder from its last checkpoint')
    .option('--overwrite', 'replace an existing run folder')
    .action(trainAction);
}

/** `untangle train` (and its alias `train-fhvae`): a new run from flags, or a resumed one. */
export async function trainAction(flags: TrainFlags): Promise<void> {
  const { config, runDir, corpus } = flags.resume ? await resumeConfig(flags) : await newRunConfig(flags);
  const resume = flags.resume ? await resumeOrRestart(runDir) : false;
  await runTraining(config, runDir, resume, { corpus });
  process.stderr.write(`run written to ${runDir}\n`);
}

interface PreparedRun {
  config: RunConfig;
  runDir: string;
  /** a sequence model's corpus, loaded once */
  corpus?: SpeechCorpus;
}

async function newRunConfig(flags: TrainFlags): Promise<PreparedRun> {
  if (!flags.out) throw new UsageError('train: --out DIR is required (or --resume DIR)');
  const base = flags.config ? await readJson(flags.config) : {};
  if (typeof base !== 'object' || base == null || Array.isArray(base)) {
    throw new UsageError(`${flags.config}: expected a JSON object of config keys`);
  }
  if (flags.sweepIndex !== undefined && flags.preset !== 'dlib') {
    throw new UsageError('--sweep-index needs --preset dlib');
  }
  const model = flags.model ?? (base as { model?: string }).model ?? 'beta-vae';
  const preset = flags.preset ? presetConfig(flags.preset, model, flags.sweepIndex) : {};
  const fromFlags: Record<string, unknown> = {
    ...preset,
    ...(base as Record<string, unknown>),
    modelOptions: { ...(preset.modelOptions as object), ...(base as { modelOptions?: object }).modelOptions },
  };
  // both cores by default from the command line; the resolved count is recorded in config.json
  fromFlags.threads ??= defaultThreads();
  for (const key of ['model', 'dataset', 'variant', 'steps', 'seed', 'backend', 'threads'] as const) {
    if (flags[key] !== undefined) fromFlags[key] = flags[key];
  }
  if (flags.dataPath !== undefined) fromFlags.dataPath = flags.dataPath;
  fromFlags.model = model;
  let config = resolveConfig(applyOverrides(fromFlags, flags.set));
  // absolute in config.json, so the run resumes and evaluates from any folder
  if (config.dataPath) config.dataPath = resolve(config.dataPath);
  if (!isSequenceConfig(config) && config.factorsPath) config.factorsPath = resolve(config.factorsPath);
  let corpus: SpeechCorpus | undefined;
  if (isSequenceConfig(config)) {
    corpus = loadCorpus(config.dataPath);
    config = resolveSequenceConfig(config, corpus);
  }
  await prepareRunDir(flags.out, Boolean(flags.overwrite));
  await saveRunConfig(flags.out, config);
  return { config, runDir: flags.out, corpus };
}

async function resumeConfig(flags: TrainFlags): Promise<PreparedRun> {
  const runDir = flags.resume!;
  let config = await loadAnyRunConfig(runDir);
  const changed = {
    steps: flags.steps,
    threads: flags.threads,
    backend: flags.backend,
    dataPath: flags.dataPath,
  };
  if (Object.values(changed).some((v) => v !== undefined)) {
    if (changed.dataPath) changed.dataPath = resolve(changed.dataPath);
    const defined = Object.fromEntries(Object.entries(changed).filter(([, v]) => v !== undefined));
    config = resolveConfig({ ...config, ...defined });
  }
  let corpus: SpeechCorpus | undefined;
  if (isSequenceConfig(config)) {
    corpus = loadCorpus(config.dataPath);
    config = resolveSequenceConfig(config, corpus);
  }
  await guardResume(runDir, config.steps);
  await saveRunConfig(runDir, config);
  return { config, runDir, corpus };
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}
