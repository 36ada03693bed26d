import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { SpeechCorpus } from '../data/speech/corpus.ts';
import { BACKENDS, useBackend } from '../engine/backend.ts';
import { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import { readJson } from '../io/read-json.ts';
import { createFhvae, estimateMu2, type Fhvae, fhvaeLoss, fhvaeOptions } from '../models/fhvae.ts';
import { gatherSegments, type SegmentIndex, segmentIndex, segmentsOf } from '../models/fhvae-segments.ts';
import type { Model } from '../models/model.ts';
import { readCheckpoint, writeCheckpoint } from '../run/checkpoint.ts';
import { lastCheckpointNote } from '../run/checkpoint-note.ts';
import { CONFIG_FILE } from '../run/load-run.ts';
import { LOG_FILE, type LogEntry, readLog } from '../run/log.ts';
import { Adam } from './adam.ts';
import { combineShards, type ShardResult } from './gradients.ts';
import { ParameterStore } from './parameters.ts';
import { createProgress } from './progress.ts';
import { stepContext } from './step-noise.ts';
import { NonFiniteLossError } from './trainer.ts';
import { nextMessage } from './worker-pool.ts';

/**
 * Training of sequence models (the FHVAE) on a speech corpus. The image trainer (trainer.ts) draws
 * image batches from a GroundTruthData; a sequence model needs batches of segments that know their
 * sequence, a μ2 table, and hierarchical sampling rounds. This loop reuses the image trainer's pieces:
 * the flat parameter store, Adam, checkpoints (exact resume), per-example step noise, log.jsonl, progress,
 * and data-parallel worker threads on shared memory.
 */
export const sequenceTrainConfigSchema = z
  .object({
    model: z.literal('fhvae').default('fhvae'),
    /** the corpus folder the run was trained on (recorded, and used by `--resume`) */
    corpus: z.string().optional(),
    /** feature bins per frame and training sequences (μ2 table rows): filled in from the corpus */
    bins: z.number().int().positive().optional(),
    sequences: z.number().int().positive().optional(),
    steps: z.number().int().positive().default(20_000),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
    /** segments per step (the authors: 256) */
    batchSize: z.number().int().positive().default(256),
    /** Adam as the authors train the FHVAE: 1e-3, β1 0.95, β2 0.999 */
    learningRate: z.number().positive().default(1e-3),
    adamBeta1: z.number().min(0).lt(1).default(0.95),
    adamBeta2: z.number().min(0).lt(1).default(0.999),
    adamEpsilon: z.number().positive().default(1e-8),
    /** frames between the starts of training segments (the authors: 8) */
    segmentShift: z.number().int().positive().default(8),
    /**
     * hierarchical sampling (Hsu & Glass 2018): sequences per round (their default 5000); a corpus with
     * no more training sequences than this trains on all of them, without rounds
     */
    sequencesPerRound: z.number().int().positive().default(5000),
    /** steps per round; default: one pass over the round's segments */
    roundSteps: z.number().int().positive().optional(),
    checkpointEvery: z.number().int().positive().default(1000),
    logEvery: z.number().int().positive().default(10),
    backend: z.enum(BACKENDS).default('wasm'),
    /** threads splitting each batch (data parallel); 1 trains in this thread */
    threads: z.number().int().min(1).max(64).default(1),
    modelOptions: fhvaeOptions.prefault({}),
  })
  .strict();

export type SequenceTrainConfig = z.infer<typeof sequenceTrainConfigSchema>;

export class SequenceConfigError extends InputError {
  override name = 'SequenceConfigError';
}

/** Validates a config and fills in its defaults and the corpus's sizes (checked when already recorded). */
export function resolveSequenceConfig(input: unknown, corpus?: SpeechCorpus): SequenceTrainConfig {
  const parsed = sequenceTrainConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new SequenceConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    );
  }
  const config = parsed.data;
  if (corpus == null) return config;
  for (const [key, value] of [
    ['bins', corpus.bins],
    ['sequences', corpus.train.length],
  ] as const) {
    if (config[key] != null && config[key] !== value) {
      throw new SequenceConfigError(
        `the run was trained with ${key} = ${config[key]}, the corpus has ${value}: use the corpus it was trained on`,
      );
    }
  }
  return { ...config, bins: corpus.bins, sequences: corpus.train.length };
}

/** The objects one run trains: corpus segments, model, flat weights, Adam, the run's RNG. */
export interface SequenceSession {
  config: SequenceTrainConfig;
  /** training segments of the corpus's train utterances (table row = utterance position) */
  index: SegmentIndex;
  model: Fhvae;
  store: ParameterStore;
  adam: Adam;
  rng: Rng;
  /** training sequences with at least one segment: what rounds sample from */
  eligible: Int32Array;
  /** whether the corpus is larger than a round (hierarchical sampling) */
  hierarchical: boolean;
  roundSteps: number;
  /** store position of the μ2 table */
  tableIndex: number;
  /** the table's position among Adam's variables */
  tableSlot: number;
}

/** The sequences a round trains on, and their segments. */
export interface Round {
  round: number;
  sequences: Int32Array;
  segments: Int32Array;
}

export function buildSequenceSession(input: SequenceTrainConfig, corpus: SpeechCorpus): SequenceSession {
  const config = resolveSequenceConfig(input, corpus);
  const { frames } = config.modelOptions;
  const index = segmentIndex(corpus.train, corpus.bins, {
    frames,
    shift: config.segmentShift,
    mode: 'train',
  });
  const eligible = Int32Array.from(corpus.train.flatMap((_, u) => (index.counts[u] > 0 ? [u] : [])));
  if (eligible.length === 0) {
    throw new InputError(
      `the corpus has no training utterance of at least ${frames} frames (one segment): nothing to train on`,
    );
  }
  const rng = new Rng(config.seed);
  const model = createFhvae(config.modelOptions, corpus.bins, corpus.train.length, rng);
  const store = new ParameterStore(checkpointModel(model));
  const indices = store.indicesOf(model.variables());
  const adam = new Adam(
    indices.map((i) => store.sizes[i]),
    {
      learningRate: config.learningRate,
      beta1: config.adamBeta1,
      beta2: config.adamBeta2,
      epsilon: config.adamEpsilon,
    },
  );
  const hierarchical = eligible.length > config.sequencesPerRound;
  const meanSegments = index.utterance.length / eligible.length;
  const roundSteps =
    config.roundSteps ??
    Math.max(1, Math.round((config.sequencesPerRound * meanSegments) / config.batchSize));
  const [tableIndex] = store.indicesOf([model.table()]);
  const tableSlot = indices.indexOf(tableIndex);
  return {
    config,
    index,
    model,
    store,
    adam,
    rng,
    eligible,
    hierarchical,
    roundSteps,
    tableIndex,
    tableSlot,
  };
}

/**
 * The sequences of round r, drawn without replacement from a stream of their own (seeded by the run's
 * seed and r), so a resumed run finds the same round. With `reestimate`, their μ2 rows are set to the
 * MAP estimate under the current encoder (Hsu & Glass 2018) and the table's Adam moments restart.
 */
export function beginRound(session: SequenceSession, round: number, reestimate: boolean): Round {
  const { index, eligible, config } = session;
  if (!session.hierarchical) return { round: 0, sequences: eligible, segments: segmentsOf(index, eligible) };
  const rng = new Rng(
    (Math.imul(config.seed ^ 0x6a09e667, 0x9e3779b1) + Math.imul(round + 1, 0x85ebca6b)) >>> 0,
  );
  const pool = Array.from(eligible);
  const k = config.sequencesPerRound;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  const sequences = Int32Array.from(pool.slice(0, k)).sort();
  if (reestimate) {
    const { model, store, tableIndex } = session;
    const rows = estimateMu2(model, index, sequences);
    const table = store.view(tableIndex);
    const d = model.options.z2Dim;
    sequences.forEach((u, i) => {
      table.set(rows.subarray(i * d, (i + 1) * d), u * d);
    });
    store.writeToModel([tableIndex]);
    // the table's m and v: a row's history belongs to the round that estimated it
    const slots = session.adam.state();
    slots[2 * session.tableSlot].fill(0);
    slots[2 * session.tableSlot + 1].fill(0);
  }
  return { round, sequences, segments: segmentsOf(index, sequences) };
}

/** A batch drawn uniformly (with replacement) from the round's segments. */
export interface SequenceBatch {
  /** [n, frames, bins] */
  x: Float32Array;
  rows: Int32Array;
  counts: Float32Array;
}

export function sampleSegments(session: SequenceSession, round: Round, rng: Rng, n: number): SequenceBatch {
  const { index } = session;
  const segments = Int32Array.from({ length: n }, () => round.segments[rng.int(round.segments.length)]);
  const rows = Int32Array.from(segments, (s) => index.utterance[s]);
  return {
    x: gatherSegments(index, segments),
    rows,
    counts: Float32Array.from(rows, (u) => index.counts[u]),
  };
}

/** One slice of a step's batch, as computed by one thread. */
export interface SequenceSlice extends SequenceBatch {
  /** index of the slice's first segment in the whole batch (fixes its noise streams) */
  firstExample: number;
  /** the discriminative softmax's rows; absent: all */
  active?: Int32Array;
}

/** Loss terms and gradients of the FHVAE on one slice of a batch (the terms are means over its segments). */
export function sequenceGradients(
  model: Fhvae,
  step: number,
  stepSeed: number,
  slice: SequenceSlice,
): ShardResult {
  const n = slice.rows.length;
  const { frames } = model.options;
  const variables = model.variables();
  const ctx = stepContext(step, stepSeed, slice.firstExample);
  const x = tf.tensor3d(slice.x, [n, frames, model.bins]);
  let terms: Record<string, number> = {};
  const { value, grads } = tf.variableGrads(() => {
    const out = fhvaeLoss(model, { x, rows: slice.rows, counts: slice.counts, active: slice.active }, ctx);
    terms = Object.fromEntries(Object.entries(out.terms).map(([name, t]) => [name, t.dataSync()[0]]));
    return out.total;
  }, variables);
  const result: ShardResult = {
    size: n,
    total: value.dataSync()[0],
    terms,
    grads: variables.map((v) => grads[v.name].dataSync() as Float32Array),
  };
  tf.dispose([x, value, ...Object.values(grads)]);
  return result;
}

export interface SequenceTrainOptions {
  resume?: boolean;
  progress?: boolean;
}

/** Trains (or resumes) a run folder to config.steps; returns the log entries written. */
export async function trainSequenceModel(
  session: SequenceSession,
  runDir: string,
  options: SequenceTrainOptions = {},
): Promise<LogEntry[]> {
  const { config, store, adam, model } = session;
  let rng = session.rng;
  let step = 0;
  if (options.resume) {
    const saved = await readCheckpoint(runDir, checkpointModel(model), [adam]);
    store.readFromModel();
    step = saved.step;
    rng = Rng.fromState(saved.rng);
    const kept = readLog(runDir).filter((e) => e.step <= step);
    await writeFileAtomic(join(runDir, LOG_FILE), kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
  const workers = config.threads > 1 ? await startSequenceWorkers(session) : undefined;
  const progress = options.progress ? createProgress('train fhvae', config.steps, step) : undefined;
  const entries: LogEntry[] = [];
  const roundOf = (s: number) => (session.hierarchical ? Math.floor(s / session.roundSteps) : 0);
  // mid-round on resume: the round's sequences again, its μ2 rows are in the checkpoint
  let round = beginRound(session, roundOf(step), false);
  let last = { step, time: performance.now() };
  const indices = store.indicesOf(model.variables());
  try {
    while (step < config.steps) {
      if (session.hierarchical && step % session.roundSteps === 0)
        round = beginRound(session, roundOf(step), true);
      const batch = sampleSegments(session, round, rng, config.batchSize);
      const stepSeed = rng.nextUint32();
      const active = round.sequences.length < model.sequences ? round.sequences : undefined;
      const result = workers
        ? await workers.gradients(step, stepSeed, { ...batch, firstExample: 0, active })
        : sequenceGradients(model, step, stepSeed, { ...batch, firstExample: 0, active });
      if (!Number.isFinite(result.total)) {
        throw new NonFiniteLossError(
          `FHVAE loss is ${result.total} at step ${step + 1}; ${lastCheckpointNote(runDir)}`,
        );
      }
      adam.apply(
        indices.map((i) => store.view(i)),
        result.grads,
      );
      store.writeToModel(indices);
      step += 1;
      const entry: LogEntry = { step, round: round.round, total: result.total, ...result.terms };
      if (step % config.logEvery === 0 || step === config.steps) {
        const now = performance.now();
        entry.segPerSec = ((step - last.step) * config.batchSize) / ((now - last.time) / 1000);
        last = { step, time: now };
        appendFileSync(join(runDir, LOG_FILE), `${JSON.stringify(entry)}\n`);
        entries.push(entry);
      }
      if (step % config.checkpointEvery === 0 || step === config.steps) {
        await writeCheckpoint(runDir, checkpointModel(model), [adam], { step, rng: rng.state() });
      }
      progress?.update(step, {
        loss: entry.total,
        rec: entry.reconstruction as number,
        dis: entry.discriminative as number,
      });
    }
  } finally {
    progress?.stop();
    await workers?.close();
  }
  return entries;
}

/** The checkpoint files and parameter store read only a model's nets and its objectives' names. */
export function checkpointModel(model: Fhvae): Model {
  return { nets: { ...model.nets }, objectives: [{ name: 'fhvae' }] } as unknown as Model;
}

export async function saveSequenceConfig(runDir: string, config: SequenceTrainConfig): Promise<void> {
  await writeFileAtomic(join(runDir, CONFIG_FILE), `${JSON.stringify(config, null, 2)}\n`);
}

export async function loadSequenceConfig(runDir: string): Promise<SequenceTrainConfig> {
  const path = join(runDir, CONFIG_FILE);
  const raw = await readJson(path, `${runDir} is not an FHVAE run folder: it has no readable ${CONFIG_FILE}`);
  try {
    return resolveSequenceConfig(raw);
  } catch (err) {
    throw new InputError(`${path}: ${(err as Error).message}`);
  }
}

/** A trained run's FHVAE with its checkpoint's weights (and the checkpoint's step), for encoding and pictures. */
export async function loadFhvaeRun(
  runDir: string,
): Promise<{ config: SequenceTrainConfig; model: Fhvae; step: number }> {
  const config = await loadSequenceConfig(runDir);
  if (config.bins == null || config.sequences == null)
    throw new InputError(`${join(runDir, CONFIG_FILE)}: has no bins/sequences: it was never trained`);
  const model = createFhvae(config.modelOptions, config.bins, config.sequences, new Rng(config.seed));
  const { step } = await readCheckpoint(runDir, checkpointModel(model));
  return { config, model, step };
}

// ---- data parallelism: the same scheme as worker-pool.ts, for segment batches ----

interface SequenceWorkers {
  gradients(step: number, stepSeed: number, batch: SequenceSlice): Promise<ShardResult>;
  close(): Promise<void>;
}

interface SequenceWorkerData {
  config: SequenceTrainConfig;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer;
}

async function startSequenceWorkers(session: SequenceSession): Promise<SequenceWorkers> {
  const { config, store, model } = session;
  // Worker threads do not inherit tsx's loader when it was registered in-process (bin/untangle.js).
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => {
    tsx.register();
    return import(${JSON.stringify(import.meta.url)});
  }).then((m) => m.serveSequenceGradients());`;
  const replicas = Array.from({ length: config.threads - 1 }, () => {
    const grads = new SharedArrayBuffer(store.flat.byteLength);
    const data: SequenceWorkerData = { config, params: store.flat.buffer as SharedArrayBuffer, grads };
    const worker = new Worker(boot, { eval: true, workerData: data });
    return { worker, grads: new Float32Array(grads) };
  });
  await Promise.all(replicas.map((r) => nextMessage(r.worker, 'FHVAE gradient worker')));
  const indices = store.indicesOf(model.variables());
  return {
    async gradients(step, stepSeed, batch) {
      const slices = splitSlice(batch, config.threads, model);
      const pending = replicas.map(async ({ worker, grads }, i) => {
        worker.postMessage({ step, stepSeed, slice: slices[i + 1] });
        const summary = (await nextMessage(worker, 'FHVAE gradient worker')) as Omit<ShardResult, 'grads'>;
        const views = indices.map((k) => grads.subarray(store.offsets[k], store.offsets[k] + store.sizes[k]));
        return { ...summary, grads: views };
      });
      const own = sequenceGradients(model, step, stepSeed, slices[0]);
      return combineShards([own, ...(await Promise.all(pending))]);
    },
    async close() {
      await Promise.all(replicas.map((r) => r.worker.terminate()));
    },
  };
}

/** A worker's loop: the shared weights in, its slice's gradients out into shared memory. */
export async function serveSequenceGradients(): Promise<void> {
  const { config, params, grads } = workerData as SequenceWorkerData;
  await useBackend(config.backend);
  const model = createFhvae(config.modelOptions, config.bins!, config.sequences!, new Rng(config.seed));
  const store = new ParameterStore(checkpointModel(model), params);
  const indices = store.indicesOf(model.variables());
  const out = new Float32Array(grads);
  const port = parentPort!;
  port.on(
    'message',
    ({ step, stepSeed, slice }: { step: number; stepSeed: number; slice: SequenceSlice }) => {
      try {
        store.writeToModel();
        const { grads: shard, ...summary } = sequenceGradients(model, step, stepSeed, slice);
        indices.forEach((k, i) => {
          out.set(shard[i], store.offsets[k]);
        });
        port.postMessage(summary);
      } catch (err) {
        port.postMessage({ error: (err as Error).stack ?? String(err) });
      }
    },
  );
  port.postMessage({ ready: true });
}

function splitSlice(batch: SequenceSlice, parts: number, model: Fhvae): SequenceSlice[] {
  const n = batch.rows.length;
  const perExample = model.options.frames * model.bins;
  return Array.from({ length: parts }, (_, i) => {
    const start = Math.floor((i * n) / parts);
    const end = Math.floor(((i + 1) * n) / parts);
    return {
      x: batch.x.slice(start * perExample, end * perExample),
      rows: batch.rows.slice(start, end),
      counts: batch.counts.slice(start, end),
      firstExample: batch.firstExample + start,
      active: batch.active,
    };
  });
}

/**
 * Applies `key=value` overrides: values parse as JSON where they can; a key that is not a config key
 * is one of the model's options (`alpha=0`, `units=128`).
 */
export function applySequenceOverrides(
  config: Record<string, unknown>,
  overrides: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config, modelOptions: { ...(config.modelOptions as object) } };
  for (const assignment of overrides) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new SequenceConfigError(`--set ${assignment}: expected key=value`);
    const key = assignment.slice(0, eq).replace(/^modelOptions\./, '');
    let value: unknown = assignment.slice(eq + 1);
    try {
      value = JSON.parse(value as string);
    } catch {
      // a plain string
    }
    if (key in sequenceTrainConfigSchema.shape && key !== 'modelOptions') out[key] = value;
    else (out.modelOptions as Record<string, unknown>)[key] = value;
  }
  return out;
}
