import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { SpeechCorpus } from '../data/speech/corpus.ts';
import { useBackend } from '../engine/backend.ts';
import { completedDir, writeFileAtomic } from '../io/atomic.ts';
import { makeOutputDir } from '../io/out-dir.ts';
import { loadCorpus, trainFhvaeRun } from '../jobs/run-training.ts';
import { eer, lda } from '../metrics/speaker-verification.ts';
import { encodeUtterances, type Fhvae } from '../models/fhvae.ts';
import { ivectors } from '../models/ivector.ts';
import { CHECKPOINT_DIR } from '../run/checkpoint.ts';
import { applyOverrides, resolveSequenceConfig } from '../run/config.ts';
import { loadAnyRunConfig, loadFhvaeRun, saveRunConfig } from '../run/load-run.ts';
import { UsageError } from './errors.ts';
import { collect, intOption } from './options.ts';
import { defaultThreads } from './train.ts';
import { numberFlag } from './train-fhvae.ts';

/**
 * The speaker verification table of Hsu, Zhang & Glass (2017): equal error rates of cosine scoring on
 * the test speakers' utterances, raw and after LDA fitted on the training speakers, for i-vectors of a
 * few sizes, the FHVAE's s-vectors (MAP μ2) at several discriminative weights α, and μ1 (the mean of
 * z1 over an utterance) as the sanity row: z1 should carry little speaker information.
 */
export interface VerificationTools {
  /** EER of cosine scoring over every pair of the vectors ([n, dim] row-major) */
  eer(vectors: Float32Array, dim: number, speakers: readonly string[]): number;
  /** LDA fitted on training vectors and their speakers, applied to test vectors */
  lda(
    train: Float32Array,
    trainSpeakers: readonly string[],
    test: Float32Array,
    dim: number,
  ): { vectors: Float32Array; dim: number };
  /** i-vectors of the corpus's train and test utterances */
  ivectors(corpus: SpeechCorpus, dim: number, seed: number): { train: Float32Array; test: Float32Array };
}

export interface TableRow {
  representation: string;
  dim: number;
  rawEer: number;
  ldaEer: number;
}

export const TABLE_DEFAULTS = {
  alphas: [0, 0.1, 1, 10],
  ivectorDims: [48, 100, 200],
} as const;

export interface TableRun {
  alpha: number;
  model: Fhvae;
}

/** Every row of the table: i-vectors, μ2 per α, then μ1 of the run with the largest α. */
export async function fhvaeTableRows(
  corpus: SpeechCorpus,
  runs: readonly TableRun[],
  tools: VerificationTools,
  {
    ivectorDims = TABLE_DEFAULTS.ivectorDims,
    seed = 0,
  }: { ivectorDims?: readonly number[]; seed?: number } = {},
): Promise<TableRow[]> {
  if (corpus.test.length === 0) throw new UsageError('fhvae-table: the corpus has no test utterances');
  const trainSpeakers = corpus.train.map((u) => u.speaker);
  const testSpeakers = corpus.test.map((u) => u.speaker);
  const row = (representation: string, dim: number, train: Float32Array, test: Float32Array): TableRow => {
    const projected = tools.lda(train, trainSpeakers, test, dim);
    return {
      representation,
      dim,
      rawEer: tools.eer(test, dim, testSpeakers),
      ldaEer: tools.eer(projected.vectors, projected.dim, testSpeakers),
    };
  };
  const rows: TableRow[] = [];
  for (const dim of ivectorDims) {
    const { train, test } = tools.ivectors(corpus, dim, seed);
    rows.push(row('i-vector', dim, train, test));
  }
  const encoded = [];
  for (const { alpha, model } of runs)
    encoded.push({
      alpha,
      model,
      train: await encodeUtterances(model, corpus.train),
      test: await encodeUtterances(model, corpus.test),
    });
  for (const { alpha, model, train, test } of encoded) {
    rows.push(row(`μ2 (α=${alpha})`, model.options.z2Dim, train.mu2, test.mu2));
  }
  const sanity = encoded.reduce<(typeof encoded)[number] | undefined>(
    (best, e) => (best == null || e.alpha > best.alpha ? e : best),
    undefined,
  );
  if (sanity != null) {
    rows.push(row(`μ1 (α=${sanity.alpha})`, sanity.model.options.z1Dim, sanity.train.mu1, sanity.test.mu1));
  }
  return rows;
}

/** The table as Markdown, EERs in percent. */
export function formatTable(rows: readonly TableRow[]): string {
  const lines = [
    '| representation | dims | raw EER (%) | LDA EER (%) |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.representation} | ${r.dim} | ${(100 * r.rawEer).toFixed(2)} | ${(100 * r.ldaEer).toFixed(2)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

interface TableFlags {
  corpus: string;
  out: string;
  steps?: number;
  seed: number;
  alphas: string;
  ivectorDims: string;
  set: string[];
  threads?: number;
}

export function register(program: Command): void {
  program
    .command('fhvae-table')
    .description(
      'train FHVAEs at several α on a speech corpus (or reuse trained runs) and print the speaker verification EER table',
    )
    .requiredOption('--corpus <dir>', 'speech corpus folder (written by `untangle data speech`)')
    .requiredOption('--out <dir>', 'folder for the runs (alpha-<α>/) and table.md/table.json')
    .option('--steps <n>', 'training steps of each FHVAE', intOption('--steps'))
    .option('--seed <s>', 'seed of the runs and the i-vector extractor', intOption('--seed'), 0)
    .option('--alphas <list>', 'discriminative weights, comma separated', TABLE_DEFAULTS.alphas.join(','))
    .option('--ivector-dims <list>', 'i-vector sizes, comma separated', TABLE_DEFAULTS.ivectorDims.join(','))
    .option('--set <key=value>', 'FHVAE config key or model option for every run (repeatable)', collect, [])
    .option('--threads <n>', 'threads splitting each batch', intOption('--threads'))
    .action(async (flags: TableFlags) => {
      const alphas = listFlag('--alphas', flags.alphas);
      await makeOutputDir(flags.out);
      const ivectorDims = listFlag('--ivector-dims', flags.ivectorDims).map((d) => {
        if (!Number.isInteger(d) || d < 1)
          throw new UsageError(`--ivector-dims expects positive integers, got ${d}`);
        return d;
      });
      const corpus = loadCorpus(flags.corpus, '--corpus');
      const runs: TableRun[] = [];
      for (const alpha of alphas) {
        const runDir = join(flags.out, `alpha-${alpha}`);
        runs.push({ alpha, model: await trainedRun(runDir, alpha, corpus, flags) });
      }
      const rows = await fhvaeTableRows(corpus, runs, VERIFICATION_TOOLS, { ivectorDims, seed: flags.seed });
      const table = formatTable(rows);
      await writeFileAtomic(join(flags.out, 'table.md'), table);
      await writeFileAtomic(join(flags.out, 'table.json'), `${JSON.stringify(rows, null, 2)}\n`);
      process.stdout.write(table);
    });
}

/** The run of one α: reused when its checkpoint is at its last step, resumed when partial, trained otherwise. */
async function trainedRun(
  runDir: string,
  alpha: number,
  corpus: SpeechCorpus,
  flags: TableFlags,
): Promise<Fhvae> {
  const exists = existsSync(join(runDir, 'config.json'));
  const input = exists
    ? { ...(await loadAnyRunConfig(runDir)), ...(flags.steps ? { steps: flags.steps } : {}) }
    : applyOverrides(
        {
          model: 'fhvae',
          threads: flags.threads ?? defaultThreads(),
          seed: flags.seed,
          ...(flags.steps ? { steps: flags.steps } : {}),
        },
        [...flags.set, `alpha=${alpha}`],
      );
  const config = resolveSequenceConfig({ ...input, dataPath: flags.corpus }, corpus);
  if (config.modelOptions.alpha !== alpha)
    throw new UsageError(`${runDir}: holds a run with α = ${config.modelOptions.alpha}, not ${alpha}`);
  const resume = exists && completedDir(join(runDir, CHECKPOINT_DIR)) != null;
  if (resume) {
    await useBackend(config.backend);
    const { model, step } = await loadFhvaeRun(runDir);
    if (step >= config.steps) {
      process.stderr.write(`fhvae-table: reusing ${runDir} (${step} steps)\n`);
      return model;
    }
  }
  await mkdir(runDir, { recursive: true });
  await saveRunConfig(runDir, config);
  process.stderr.write(`fhvae-table: ${resume ? 'resuming' : 'training'} α = ${alpha} in ${runDir}\n`);
  return trainFhvaeRun(config, corpus, runDir, { resume });
}

function listFlag(flag: string, value: string): number[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.length === 0 || items.some((s) => s === ''))
    throw new UsageError(`${flag} expects a comma-separated list`);
  return items.map((s) => numberFlag(flag, s));
}

/** The speaker verification metric and the i-vector baseline, with the i-vector fit's progress on stderr. */
export const VERIFICATION_TOOLS: VerificationTools = {
  eer,
  lda,
  ivectors: (corpus, dim, seed) =>
    ivectors(corpus, dim, seed, { onProgress: (message) => process.stderr.write(`i-vector: ${message}\n`) }),
};
