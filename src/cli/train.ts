import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BACKENDS, type BackendName } from '../engine/backend.ts';
import { readJson } from '../io/read-json.ts';
import { runTraining } from '../jobs/run-training.ts';
import { applyOverrides, resolveTrainConfig, type TrainConfig } from '../run/config.ts';
import { loadRunConfig } from '../run/load-run.ts';
import { PRESET_NAMES, presetConfig } from '../train/presets.ts';
import { UsageError } from './errors.ts';
import { collect, intOption } from './options.ts';
import { guardResume, prepareRunDir, resumeOrRestart, saveRunConfig } from './run-dir.ts';

interface TrainFlags {
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
    .option('--model <name>', 'model name, e.g. vae, beta-vae, annealed-vae')
    .option('--dataset <name>', 'dataset name, e.g. dsprites')
    .option('--variant <name>', 'dataset variant, e.g. color or noisy for dsprites')
    .option(
      '--data-path <path>',
      'files the dataset reads: images (PNG folder or .npy), fashion-mnist (folder)',
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
    .action(async (flags: TrainFlags) => {
      const { config, runDir } = flags.resume ? await resumeConfig(flags) : await newRunConfig(flags);
      const resume = flags.resume ? await resumeOrRestart(runDir) : false;
      await runTraining(config, runDir, resume);
      process.stderr.write(`run written to ${runDir}\n`);
    });
}

async function newRunConfig(flags: TrainFlags): Promise<{ config: TrainConfig; runDir: string }> {
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
  const config = resolveTrainConfig(applyOverrides(fromFlags, flags.set));
  // absolute in config.json, so the run resumes and evaluates from any folder
  for (const key of ['dataPath', 'factorsPath'] as const) if (config[key]) config[key] = resolve(config[key]);
  await prepareRunDir(flags.out, Boolean(flags.overwrite));
  await saveRunConfig(flags.out, config);
  return { config, runDir: flags.out };
}

async function resumeConfig(flags: TrainFlags): Promise<{ config: TrainConfig; runDir: string }> {
  const runDir = flags.resume!;
  let config = await loadRunConfig(runDir);
  if (flags.steps !== undefined || flags.threads !== undefined || flags.backend !== undefined) {
    config = resolveTrainConfig({
      ...config,
      steps: flags.steps ?? config.steps,
      threads: flags.threads ?? config.threads,
      backend: flags.backend ?? config.backend,
    });
    await guardResume(runDir, config.steps);
    await saveRunConfig(runDir, config);
  } else await guardResume(runDir, config.steps);
  return { config, runDir };
}

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}
