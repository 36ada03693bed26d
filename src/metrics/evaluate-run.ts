import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { type GroundTruthData, stateCount } from '../data/ground-truth.ts';
import { isSplitImageData } from '../data/held-out.ts';
import type { BackendName } from '../engine/backend.ts';
import { setNativeForwardThreads } from '../engine/kernels/native/addon.ts';
import type { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { encodePosterior } from '../models/inference.ts';
import type { Model } from '../models/model.ts';
import { encodeEveryState } from '../run/encode-states.ts';
import { loadRun } from '../run/load-run.ts';
import { clusterAccuracy } from './cluster-accuracy.ts';
import { type HeldOutReport, heldOutReport } from './code-predictability.ts';
import { groundTruthSource, posteriorCacheFor } from './code-source.ts';
import { migVariantLabel } from './mig.ts';
import { posteriorStats } from './posterior-stats.ts';
import type { CodeKind, PosteriorEncoder } from './representation.ts';
import { headlines, type MetricRun, metricRng, pointsDrawn, runMetrics } from './suite.ts';

export const METRICS_FILE = 'metrics.json';

/** Images per encoder call where a metric asks for many points at once (fewer, larger kernel calls). */
const ENCODE_BATCH = 256;

/** What `untangle evaluate` writes into a run folder. */
export interface MetricsReport {
  model: string;
  dataset: string;
  seed: number;
  migVariant: string;
  /** one number per metric, from the mean codes: what tables and sweeps show */
  headline: Record<string, number>;
  /** per code kind (mean, sampled), per metric: its result, options and time */
  codes: Partial<Record<CodeKind, Record<string, MetricRun>>>;
  posterior?: ReturnType<typeof posteriorStats>;
  /** models with discrete latents: unsupervised accuracy of each latent's argmax against a factor */
  discrete?: DiscreteAccuracy[];
  /** data with a held-out split (mnist-semi, mnist-sensitive): factors read off the codes, classifier accuracy */
  heldOut?: HeldOutReport;
}

export interface DiscreteAccuracy {
  latent: number;
  factor: string;
  accuracy: number;
  /** 1 / the factor's number of values */
  chance: number;
  classOfCluster: number[];
  points: number;
}

export interface EvaluateOptions {
  metrics: string[];
  kinds: CodeKind[];
  seed: number;
  overrides: Record<string, Record<string, number>>;
  /** also compute KL per dim and active units */
  posterior: boolean;
  backend?: BackendName;
  /**
   * Encode every state of the dataset once, on every core, before the metrics run (deterministic full-grid
   * data only). Default: when the selected metrics draw at least half as many points as there are states.
   */
  encodeEveryState?: boolean;
  /** threads that encode every state (default: every core, at most 8) */
  threads?: number;
  /** after every state was encoded: how many, on how many threads, in how long */
  onEveryState?: (states: number, threads: number, seconds: number) => void;
  onMetric?: (kind: CodeKind, name: string, run: MetricRun) => void;
}

/** The model's Gaussian posterior as plain arrays, one forward pass per call (callers batch). */
export function modelEncoder(model: Model, observationShape: readonly number[]): PosteriorEncoder {
  return {
    dim: model.latentDim,
    encodePosterior: (x, n) => encodePosterior(model, x, n, observationShape),
  };
}

/**
 * Scores a trained run with the selected metrics on its mean and/or sampled codes and merges the results
 * into the run's metrics.json (metrics evaluated earlier and not selected now are kept).
 */
export async function evaluateRun(runDir: string, options: EvaluateOptions): Promise<MetricsReport> {
  const { config, model, data } = await loadRun(runDir, options.backend);
  // encoding runs on this thread alone: spread each native forward conv over every core
  setNativeForwardThreads(availableParallelism());
  const encoder = modelEncoder(model, data.observationShape);
  const cache = posteriorCacheFor(data, encoder.dim);
  const states = stateCount(data.factorSizes);
  const fullGrid = ((data as { numObservations?: number }).numObservations ?? states) === states;
  const drawn = options.kinds.length * pointsDrawn(options.metrics, options.overrides);
  if (cache && fullGrid && (options.encodeEveryState ?? drawn >= states / 2)) {
    const threads = options.threads ?? Math.min(8, availableParallelism());
    const started = performance.now();
    cache.fill(await encodeEveryState(runDir, model, data, { threads, backend: options.backend }));
    options.onEveryState?.(states, threads, (performance.now() - started) / 1000);
  }
  const previous = await readMetrics(runDir);
  const sameSeed = previous?.seed === options.seed;
  const report: MetricsReport = {
    model: config.model,
    dataset: config.dataset,
    seed: options.seed,
    migVariant: migVariantLabel(options.overrides?.mig),
    headline: {},
    codes: sameSeed ? { ...previous.codes } : {},
    posterior: sameSeed ? previous.posterior : undefined,
  };
  for (const kind of options.kinds) {
    const source = groundTruthSource(data, encoder, kind, { cache, batchSize: ENCODE_BATCH });
    const runs = runMetrics(source, options.metrics, options.seed, options.overrides, (name, run) =>
      options.onMetric?.(kind, name, run),
    );
    report.codes[kind] = { ...report.codes[kind], ...runs };
  }
  if (options.posterior)
    report.posterior = posteriorStats(data, encoder, metricRng(options.seed, 'posterior'));
  // data with a held-out split is scored on it (heldOut), not on images training saw
  if (isSplitImageData(data)) report.heldOut = heldOutReport(model, data);
  else if (model.discrete)
    report.discrete = discreteAccuracy(model, data, metricRng(options.seed, 'discrete'));
  report.headline = {
    ...headlines(report.codes.mean ?? {}),
    ...(report.posterior ? { 'active-units': report.posterior.activeUnits } : {}),
    ...(report.discrete ? { 'discrete-accuracy': report.discrete[0].accuracy } : {}),
    ...(report.heldOut?.classifier ? { 'classifier-accuracy': report.heldOut.classifier.accuracy } : {}),
    ...Object.fromEntries(
      Object.entries(report.heldOut?.codePredictability ?? {}).map(([f, p]) => [
        `${f}-predictability`,
        p.accuracy,
      ]),
    ),
  };
  await writeFileAtomic(join(runDir, METRICS_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

async function readMetrics(runDir: string): Promise<MetricsReport | null> {
  try {
    return JSON.parse(await readFile(join(runDir, METRICS_FILE), 'utf8')) as MetricsReport;
  } catch {
    return null; // absent or unreadable: it is a derived file and is simply rewritten
  }
}

/**
 * The JointVAE/CascadeVAE tables' number: each discrete latent's most probable category taken as a
 * cluster, matched one-to-one to the values of a factor (dSprites: shape, whose chance level is 1/3).
 */
export function discreteAccuracy(
  model: Model,
  data: GroundTruthData,
  rng: Rng,
  points = 10_000,
  factorName = 'shape',
): DiscreteAccuracy[] {
  const discrete = model.discrete!;
  const factor = Math.max(0, data.factorNames.indexOf(factorName));
  const k = data.factorSizes.length;
  const [h, w, c] = data.observationShape;
  const width = discrete.sizes.reduce((a, b) => a + b, 0);
  const clusters = discrete.sizes.map(() => new Int32Array(points));
  const labels = new Int32Array(points);
  for (let start = 0; start < points; start += 64) {
    const n = Math.min(64, points - start);
    const factors = data.sampleFactors(n, rng);
    const x = data.sampleObservationsFromFactors(factors, rng);
    const probabilities = tf.tidy(() => discrete.encode(tf.tensor4d(x, [n, h, w, c])).dataSync());
    for (let i = 0; i < n; i++) {
      labels[start + i] = factors[i * k + factor];
      let offset = i * width;
      discrete.sizes.forEach((size, latent) => {
        let best = 0;
        for (let j = 1; j < size; j++) if (probabilities[offset + j] > probabilities[offset + best]) best = j;
        clusters[latent][start + i] = best;
        offset += size;
      });
    }
  }
  return discrete.sizes.map((size, latent) => {
    const result = clusterAccuracy(clusters[latent], labels, size, data.factorSizes[factor]);
    return {
      latent,
      factor: data.factorNames[factor],
      accuracy: result.accuracy,
      chance: 1 / data.factorSizes[factor],
      classOfCluster: result.classOfCluster,
      points,
    };
  });
}
