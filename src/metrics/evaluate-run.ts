import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../engine/backend.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import type { Model } from '../models/model.ts';
import { loadRun } from '../train/load-run.ts';
import { groundTruthSource, posteriorCacheFor } from './code-source.ts';
import { posteriorStats } from './posterior-stats.ts';
import type { CodeKind, PosteriorEncoder } from './representation.ts';
import { headlines, type MetricRun, metricRng, runMetrics } from './suite.ts';

export const METRICS_FILE = 'metrics.json';

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
}

export interface EvaluateOptions {
  metrics: string[];
  kinds: CodeKind[];
  seed: number;
  overrides: Record<string, Record<string, number>>;
  /** also compute KL per dim and active units */
  posterior: boolean;
  backend?: BackendName;
  onMetric?: (kind: CodeKind, name: string, run: MetricRun) => void;
}

/** The model's Gaussian posterior as plain arrays, one forward pass per call (callers batch). */
export function modelEncoder(model: Model, observationShape: readonly number[]): PosteriorEncoder {
  return {
    dim: model.latentDim,
    encodePosterior(x, n) {
      const [h, w, c] = observationShape;
      return tf.tidy(() => {
        const { mean, logVar } = model.encode(tf.tensor4d(x, [n, h, w, c]));
        return { mean: mean.dataSync() as Float32Array, logVar: logVar.dataSync() as Float32Array };
      });
    },
  };
}

/**
 * Scores a trained run with the selected metrics on its mean and/or sampled codes and merges the results
 * into the run's metrics.json (metrics evaluated earlier and not selected now are kept).
 */
export async function evaluateRun(runDir: string, options: EvaluateOptions): Promise<MetricsReport> {
  const { config, model, data } = await loadRun(runDir, options.backend);
  const encoder = modelEncoder(model, data.observationShape);
  const cache = posteriorCacheFor(data, encoder.dim);
  const previous = await readMetrics(runDir);
  const sameSeed = previous?.seed === options.seed;
  const report: MetricsReport = {
    model: config.model,
    dataset: config.dataset,
    seed: options.seed,
    migVariant: 'discretized (disentanglement_lib): 20 equal-width bins of each mean code',
    headline: {},
    codes: sameSeed ? { ...previous.codes } : {},
    posterior: sameSeed ? previous.posterior : undefined,
  };
  for (const kind of options.kinds) {
    const source = groundTruthSource(data, encoder, kind, { cache });
    const runs = runMetrics(source, options.metrics, options.seed, options.overrides, (name, run) =>
      options.onMetric?.(kind, name, run),
    );
    report.codes[kind] = { ...report.codes[kind], ...runs };
  }
  if (options.posterior)
    report.posterior = posteriorStats(data, encoder, metricRng(options.seed, 'posterior'));
  report.headline = {
    ...headlines(report.codes.mean ?? {}),
    ...(report.posterior ? { 'active-units': report.posterior.activeUnits } : {}),
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
